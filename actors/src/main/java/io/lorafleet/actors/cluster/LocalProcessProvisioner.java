package io.lorafleet.actors.cluster;

import com.typesafe.config.Config;
import io.lorafleet.actors.adapters.PrivateDirectories;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts and stops serving nodes as JVM processes on this machine, with this JVM's Java and class path and
 * the same model, adapters, cluster configuration and admin token: {@code lorafleet serve --cluster-config
 * F --remote-port P --seed-nodes <this node> --port 0 ...}. A removed node drains and leaves by itself; its
 * process is then waited for (and killed if it does not exit in time). Every process it started is killed
 * when this JVM exits.
 *
 * <p>When the supervisor singleton moves (its node left or died), the provisioner of the new one adopts the
 * nodes its predecessor started on this machine: a node it did not start itself can still be removed when a
 * LoraFleet {@code serve} process with that node's Artery port runs here (found by its command line; never
 * this JVM's own node).
 */
public final class LocalProcessProvisioner implements Provisioner {
  private static final Logger log = LoggerFactory.getLogger(LocalProcessProvisioner.class);
  private static final Duration EXIT_WAIT = Duration.ofSeconds(120);
  private static final String MAIN_CLASS = "io.lorafleet.runtime.cli.LoraFleetCli";

  private final Config config;
  private final String host;
  private final String seed;
  private final Executor blocking;
  private final Duration exitWait;
  private final Map<String, Process> processes = new ConcurrentHashMap<>();
  private final Thread hook = new Thread(this::close, "lorafleet-local-nodes-stop");

  /**
   * @param config   the full configuration of this node
   * @param seed     this node's {@code host:port} (Artery), the new nodes' seed
   * @param blocking where process starts and waits run
   */
  public LocalProcessProvisioner(Config config, String host, String seed, Executor blocking) {
    this(config, host, seed, blocking, EXIT_WAIT);
  }

  /** @param exitWait how long a removed node may take to exit after its drain before it is killed */
  LocalProcessProvisioner(Config config, String host, String seed, Executor blocking, Duration exitWait) {
    this.config = config;
    this.host = host;
    this.seed = seed;
    this.blocking = blocking;
    this.exitWait = exitWait;
    Runtime.getRuntime().addShutdownHook(hook);
  }

  @Override
  public String name() {
    return "local-process";
  }

  /** The command line of a new node with Artery port {@code port}. */
  List<String> command(int port) {
    Config c = config.getConfig("lorafleet");
    Config p = c.getConfig("cluster.supervisor.local-process");
    List<String> cmd = new ArrayList<>();
    String java = p.getString("java");
    if (java.isEmpty()) {
      java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
    }
    cmd.add(java);
    cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Dai.djl.offline=true"));
    if (System.getProperty("lorafleet.exit-with-pid") != null) {
      cmd.add("-Dlorafleet.exit-with-pid=" + System.getProperty("lorafleet.exit-with-pid"));
    }
    if (System.getProperty("lorafleet.home") != null) {
      cmd.add("-Dlorafleet.home=" + System.getProperty("lorafleet.home"));
    }
    cmd.addAll(p.getStringList("jvm-options"));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), MAIN_CLASS, "serve"));
    String clusterConfig = c.getString("cluster.config-file");
    if (!clusterConfig.isEmpty()) {
      cmd.addAll(List.of("--cluster-config", clusterConfig));
    }
    cmd.addAll(List.of("--remote-port", Integer.toString(port), "--seed-nodes", seed, "--host", host, "--port", "0"));
    if (!c.getString("admin.token-file").isEmpty()) {
      cmd.addAll(List.of("--admin-token-file", c.getString("admin.token-file")));
    }
    if (!c.getString("model.dir").isEmpty()) {
      cmd.addAll(List.of("--model", c.getString("model.dir")));
    }
    if (!c.getString("adapters.directory").isEmpty()) {
      cmd.addAll(List.of("--adapters", c.getString("adapters.directory")));
    }
    cmd.addAll(p.getStringList("serve-args"));
    return cmd;
  }

  @Override
  public CompletionStage<String> addNode() {
    return CompletableFuture.supplyAsync(() -> {
      int port = freePort();
      String address = addressPrefix() + port;
      List<String> cmd = command(port);
      String dir = config.getString("lorafleet.cluster.supervisor.local-process.log-dir");
      Path logDir = dir.isEmpty() ? PrivateDirectories.defaultDir("node-logs") : Path.of(dir);
      try {
        PrivateDirectories.create(logDir); // node logs hold prompts' errors and adapter names: 0700
        File logFile = logDir.resolve("node-" + port + ".log").toFile();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile));
        pb.environment().put("OPT_OUT_TRACKING", "true");
        Process proc = pb.start();
        processes.put(address, proc);
        log.info("started node {} (pid {}, log {})", address, proc.pid(), logFile);
        return address + " pid " + proc.pid();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start a node process: " + e.getMessage(), e);
      }
    }, blocking);
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public boolean canRemove(String node) {
    Process p = processes.get(node);
    return p != null ? p.isAlive() : adoptable(node).isPresent();
  }

  @Override
  public CompletionStage<String> removeNode(String node) {
    return CompletableFuture.supplyAsync(() -> {
      Process p = processes.get(node);
      ProcessHandle h = p != null ? p.toHandle() : adoptable(node).orElse(null);
      if (h == null) {
        return node + " not managed here";
      }
      boolean exited = awaitExit(h, exitWait);
      if (!exited) {
        log.warn("node {} did not exit {} s after its drain; killing it", node, exitWait.toSeconds());
        h.destroyForcibly();
        exited = awaitExit(h, Duration.ofSeconds(10));
      }
      processes.remove(node);
      String how = p == null ? " (started by an earlier supervisor)" : "";
      return node + how + (exited ? " exited" : " still alive") + (p != null && !p.isAlive() ? " (code " + p.exitValue() + ")" : "");
    }, blocking);
  }

  private static boolean awaitExit(ProcessHandle h, Duration timeout) {
    try {
      h.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return !h.isAlive();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !h.isAlive();
    } catch (ExecutionException e) {
      return !h.isAlive();
    }
  }

  /**
   * A LoraFleet {@code serve} process on this machine (not this JVM) whose Artery port is {@code node}'s:
   * a node an earlier supervisor's provisioner started here.
   */
  Optional<ProcessHandle> adoptable(String node) {
    String prefix = addressPrefix();
    if (!node.startsWith(prefix)) {
      return Optional.empty();
    }
    String port = node.substring(prefix.length());
    long self = ProcessHandle.current().pid();
    return ProcessHandle.allProcesses()
        .filter(h -> h.pid() != self && h.isAlive())
        .filter(h -> h.info().arguments().map(a -> isServeWithPort(List.of(a), port)).orElse(false))
        .findFirst();
  }

  /** Cluster addresses of the nodes it starts, less the port (the actor system is always "lorafleet"). */
  private String addressPrefix() {
    return "pekko://lorafleet@" + host + ":";
  }

  /** Whether a command line's arguments are LoraFleet's {@code serve} with Artery port {@code port}. */
  static boolean isServeWithPort(List<String> args, String port) {
    int main = args.indexOf(MAIN_CLASS);
    if (main < 0 || main + 1 >= args.size() || !args.get(main + 1).equals("serve")) {
      return false;
    }
    for (int i = main + 2; i + 1 < args.size(); i++) {
      if (args.get(i).equals("--remote-port") && args.get(i + 1).equals(port)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public List<String> nodes() {
    List<String> out = new ArrayList<>();
    processes.forEach((a, p) -> out.add(a + " pid " + p.pid() + (p.isAlive() ? "" : " (exited)")));
    return out;
  }

  @Override
  public void close() {
    for (Process p : processes.values()) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // already shutting down
    }
  }
}
