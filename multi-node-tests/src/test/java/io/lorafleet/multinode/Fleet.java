package io.lorafleet.multinode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * A fleet of node JVMs for one test class: a scratch directory, the admin token, a cluster profile
 * (cluster-config/local-3.conf plus the test's overrides), free ports, admin calls and waits. Every JVM it
 * started (and every JVM those started) is killed on {@link #close()} and when the test JVM exits; the
 * nodes' logs stay under target/node-logs.
 */
final class Fleet implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String TOKEN = "multi-node-admin-token-42";
  private static final List<Fleet> OPEN = new CopyOnWriteArrayList<>();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> OPEN.forEach(Fleet::close)));
  }

  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final List<NodeProcess> nodes = new CopyOnWriteArrayList<>();
  private final Path work;
  private final Path logs;
  private final Path token;
  private final Path profile;
  private int seedPort;

  Fleet(String name, String profileOverrides) {
    try {
      work = Path.of(System.getProperty("lorafleet.work", "target/fleet-work")).resolve(name).toAbsolutePath();
      logs = Path.of(System.getProperty("lorafleet.logs", "target/node-logs")).resolve(name).toAbsolutePath();
      Files.createDirectories(work);
      Files.createDirectories(logs);
      try (var old = Files.list(logs)) {
        for (Path p : old.toList()) {
          Files.deleteIfExists(p);
        }
      }
      token = work.resolve("admin-token");
      Files.writeString(token, TOKEN + "\n");
      profile = work.resolve("cluster.conf");
      Path base = Path.of(System.getProperty("lorafleet.cluster.config.dir", "../cluster-config"))
          .resolve("local-3.conf").toAbsolutePath().normalize();
      // The cluster transport is TLS (local-3.conf): every node of every fleet gets the test run's certificates.
      Files.writeString(profile, "include file(\"" + base + "\")\n" + FleetCertificates.fleet().profile()
          + profileOverrides.replace("${logs}", logs.toString()) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    OPEN.add(this);
  }

  static String classPath() {
    try {
      return Files.readString(Path.of(System.getProperty("lorafleet.node.classpath.file", "target/node.classpath")))
          .strip();
    } catch (IOException e) {
      throw new UncheckedIOException("the node class path file (run through Maven)", e);
    }
  }

  static Path fixtures() {
    return Path.of(System.getProperty("lorafleet.fixtures", "../fixtures")).toAbsolutePath().normalize();
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Path logs() {
    return logs;
  }

  /** Starts a node; the first one started is the seed of all. */
  NodeProcess start(String name, String... extraArgs) {
    return start(name, profile, extraArgs);
  }

  /** The fleet's cluster profile (local-3.conf, the test run's certificates, the test's overrides). */
  Path profile() {
    return profile;
  }

  /** Starts a node with another cluster profile (e.g. the fleet's with other certificates); seeds as above. */
  NodeProcess start(String name, Path profile, String... extraArgs) {
    int remote = freePort();
    if (seedPort == 0) {
      seedPort = remote;
    }
    NodeProcess n = NodeProcess.start(name, profile, remote, freePort(), "127.0.0.1:" + seedPort, token, logs,
        List.of(extraArgs));
    nodes.add(n);
    return n;
  }

  /** Waits until {@code node} answers /health. */
  void awaitHealthy(NodeProcess node, Duration timeout) {
    await(timeout, node.name + " serves HTTP", () -> {
      if (!node.alive()) {
        throw new AssertionError(node.name + " exited:\n" + node.tail(60));
      }
      try {
        return get(node, "/health").statusCode() == 200;
      } catch (IOException e) {
        return false;
      }
    });
  }

  HttpResponse<String> get(NodeProcess node, String path) throws IOException {
    return send(HttpRequest.newBuilder(URI.create(node.url() + path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + TOKEN).GET().build());
  }

  HttpResponse<String> post(NodeProcess node, String path, String body) throws IOException {
    return send(HttpRequest.newBuilder(URI.create(node.url() + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  private HttpResponse<String> send(HttpRequest r) throws IOException {
    try {
      return http.send(r, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  /** GET /admin/cluster on {@code node}, or null when it does not answer. */
  JsonNode cluster(NodeProcess node) {
    try {
      HttpResponse<String> r = get(node, "/admin/cluster");
      return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** The announced serving node entry for {@code node} in a cluster view, or null. */
  static JsonNode nodeEntry(JsonNode cluster, NodeProcess node) {
    if (cluster == null) {
      return null;
    }
    for (JsonNode n : cluster.get("nodes")) {
      if (n.get("node").asText().equals(node.address())) {
        return n;
      }
    }
    return null;
  }

  static int upMembers(JsonNode cluster) {
    int up = 0;
    if (cluster != null) {
      for (JsonNode m : cluster.get("members")) {
        if (m.get("status").asText().equals("Up") && m.get("reachable").asBoolean()) {
          up++;
        }
      }
    }
    return up;
  }

  static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** Polls {@code condition} every 250 ms until it holds; fails after {@code timeout}. Returns the wait. */
  static Duration await(Duration timeout, String what, Supplier<Boolean> condition) {
    return await(timeout, what, condition, () -> "");
  }

  /** {@link #await(Duration, String, Supplier)} that adds {@code diagnostics} to the failure. */
  static Duration await(Duration timeout, String what, Supplier<Boolean> condition, Supplier<Object> diagnostics) {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    while (true) {
      if (Boolean.TRUE.equals(condition.get())) {
        return Duration.ofNanos(System.nanoTime() - start);
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for: " + what + "\n"
            + diagnostics.get());
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for: " + what);
      }
    }
  }

  /** The last lines of every node's log (for failures). */
  String logTails(int lines) {
    StringBuilder sb = new StringBuilder();
    for (NodeProcess n : nodes) {
      sb.append("\n===== ").append(n.name).append(" (").append(n.address()).append(", ").append(n.log).append(") =====\n")
          .append(n.tail(lines));
    }
    return sb.toString();
  }

  /** Runs a test body; on failure prints the nodes' log tails (the logs stay under target/node-logs). */
  void run(ThrowingRunnable body) throws Exception {
    try {
      body.run();
    } catch (Throwable t) {
      System.err.println("test failed; node logs in " + logs + logTails(80));
      throw t;
    }
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Override
  public void close() {
    List<NodeProcess> all = new ArrayList<>(nodes);
    for (NodeProcess n : all) {
      n.killTree();
    }
    OPEN.remove(this);
  }
}
