package io.lorafleet.multinode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Clients sending LoRAX requests (greedy, a prefix of the reference length) in a loop until stopped; every
 * request ends as exactly one {@link Outcome}: the reference tokens, other tokens (a wrong route or a wrong
 * result), an explicit error (HTTP error body or a final SSE error event), or lost (no answer in time, a
 * broken connection).
 */
final class LoadGenerator implements AutoCloseable {
  enum Kind { OK, MISMATCH, ERROR, LOST }

  record Outcome(Kind kind, long startNanos, long endNanos, String node, String adapter, boolean streaming,
      String detail, boolean retryable) {}

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<Outcome> outcomes = new CopyOnWriteArrayList<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> threads = new ArrayList<>();
  private final int maxNewTokens;

  /**
   * @param clients        concurrent clients
   * @param nodes          where each request goes (called per request)
   * @param cases          which case each request is (called per request)
   * @param streamFraction share of streaming requests
   */
  LoadGenerator(int clients, Supplier<NodeProcess> nodes, Supplier<Reference.Case> cases, double streamFraction,
      int maxNewTokens) {
    this.maxNewTokens = maxNewTokens;
    for (int i = 0; i < clients; i++) {
      Thread t = Thread.ofVirtual().name("client-" + i).start(() -> {
        while (running.get()) {
          boolean stream = ThreadLocalRandom.current().nextDouble() < streamFraction;
          outcomes.add(request(nodes.get(), cases.get(), stream));
        }
      });
      threads.add(t);
    }
  }

  static Supplier<NodeProcess> anyOf(List<NodeProcess> nodes) {
    return () -> nodes.get(ThreadLocalRandom.current().nextInt(nodes.size()));
  }

  static Supplier<Reference.Case> anyCase() {
    return () -> Reference.CASES.get(ThreadLocalRandom.current().nextInt(Reference.CASES.size()));
  }

  Outcome request(NodeProcess node, Reference.Case c, boolean stream) {
    long start = System.nanoTime();
    ObjectNode body = Fleet.JSON.createObjectNode();
    body.put("inputs", c.prompt());
    ObjectNode p = body.putObject("parameters");
    p.put("max_new_tokens", maxNewTokens);
    p.put("details", true);
    p.put("ignore_eos_token", true);
    if (c.adapter() != null) {
      p.put("adapter_id", c.adapter());
    }
    HttpRequest req = HttpRequest.newBuilder(URI.create(node.url() + (stream ? "/generate_stream" : "/generate")))
        .timeout(Duration.ofSeconds(90)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
    int[] expected = Arrays.copyOf(c.tokenIds(), maxNewTokens);
    try {
      if (!stream) {
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        JsonNode j = Fleet.JSON.readTree(r.body());
        if (r.statusCode() != 200) {
          return outcome(Kind.ERROR, start, node, c, false, r.statusCode() + " " + j, j.path("retryable").asBoolean());
        }
        int[] ids = ids(j.get("details").get("tokens"));
        return Arrays.equals(ids, expected) ? outcome(Kind.OK, start, node, c, false, "", false)
            : outcome(Kind.MISMATCH, start, node, c, false, Arrays.toString(ids), false);
      }
      HttpResponse<Stream<String>> r = http.send(req, HttpResponse.BodyHandlers.ofLines());
      if (r.statusCode() != 200) {
        String text = String.join("\n", r.body().toList());
        return outcome(Kind.ERROR, start, node, c, true, r.statusCode() + " " + text, text.contains("\"retryable\":true"));
      }
      List<Integer> ids = new ArrayList<>();
      JsonNode last = null;
      for (String line : (Iterable<String>) r.body()::iterator) {
        if (!line.startsWith("data:")) {
          continue;
        }
        JsonNode ev = Fleet.JSON.readTree(line.substring(5).strip());
        last = ev;
        if (ev.has("error")) {
          return outcome(Kind.ERROR, start, node, c, true, ev.toString(), ev.path("retryable").asBoolean());
        }
        ids.add(ev.get("token").get("id").asInt());
      }
      if (last == null || last.get("generated_text").isNull()) {
        return outcome(Kind.LOST, start, node, c, true, "stream ended without a final event: " + last, false);
      }
      int[] got = ids.stream().mapToInt(Integer::intValue).toArray();
      return Arrays.equals(got, expected) ? outcome(Kind.OK, start, node, c, true, "", false)
          : outcome(Kind.MISMATCH, start, node, c, true, Arrays.toString(got), false);
    } catch (Exception e) {
      return outcome(Kind.LOST, start, node, c, stream, e.toString(), false);
    }
  }

  private static int[] ids(JsonNode tokens) {
    int[] out = new int[tokens.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = tokens.get(i).get("id").asInt();
    }
    return out;
  }

  private static Outcome outcome(Kind k, long start, NodeProcess n, Reference.Case c, boolean stream, String detail,
      boolean retryable) {
    return new Outcome(k, start, System.nanoTime(), n.name, c.adapter(), stream, detail, retryable);
  }

  /** Stops the clients and waits for their last requests (each ends by itself: bounded timeouts). */
  List<Outcome> stop() throws InterruptedException {
    running.set(false);
    for (Thread t : threads) {
      t.join(TimeUnit.SECONDS.toMillis(120));
    }
    return List.copyOf(outcomes);
  }

  List<Outcome> soFar() {
    return List.copyOf(outcomes);
  }

  static Map<Kind, Integer> count(List<Outcome> outcomes) {
    Map<Kind, Integer> m = new TreeMap<>();
    for (Outcome o : outcomes) {
      m.merge(o.kind(), 1, Integer::sum);
    }
    return m;
  }

  static String describe(List<Outcome> outcomes, Kind kind) {
    StringBuilder sb = new StringBuilder();
    outcomes.stream().filter(o -> o.kind() == kind).limit(10).forEach(o -> sb.append("\n  ").append(o));
    return sb.toString();
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
