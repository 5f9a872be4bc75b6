package io.lorafleet.multinode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node going away under streaming load, on a one-node fleet (one JVM per test): an admin drain lets every
 * stream finish before the node leaves; SIGTERM ({@code kill -TERM} of the node JVM) runs the same drain
 * through coordinated shutdown, and at its deadline ends what is left with an explicit error event. Either
 * way no stream is cut silently: each ends with its final event (all its tokens) or an error event.
 */
@Timeout(value = 300)
class GracefulShutdownTest {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** How a stream ended: its final event, an error event, or cut (no final event, a broken connection). */
  enum End { FINAL, ERROR, CUT }

  record Ended(End end, int status, int tokens, String last) {
    @Override
    public String toString() {
      String tail = last == null || last.length() < 200 ? last : last.substring(0, 80) + " ... " + last.substring(last.length() - 100);
      return end + "(" + status + ", " + tokens + " tokens, last: " + tail + ")";
    }
  }

  private static void log(String what, Object... args) {
    System.out.printf("[shutdown] " + what + "%n", args);
  }

  /** Streams one generation from {@code node}; counts down {@code started} on its first token. */
  private CompletableFuture<Ended> stream(NodeProcess node, int maxNewTokens, String adapter, CountDownLatch started) {
    return CompletableFuture.supplyAsync(() -> {
      ObjectNode body = Fleet.JSON.createObjectNode();
      body.put("inputs", "The quick brown fox");
      ObjectNode p = body.putObject("parameters");
      p.put("max_new_tokens", maxNewTokens);
      p.put("ignore_eos_token", true);
      if (adapter != null) {
        p.put("adapter_id", adapter);
      }
      HttpRequest req = HttpRequest.newBuilder(URI.create(node.url() + "/generate_stream"))
          .timeout(Duration.ofSeconds(240)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
      int tokens = 0;
      String last = null;
      boolean counted = false;
      try {
        HttpResponse<Stream<String>> r = http.send(req, HttpResponse.BodyHandlers.ofLines());
        if (r.statusCode() != 200) {
          started.countDown();
          return new Ended(End.ERROR, r.statusCode(), 0, String.join("\n", r.body().toList()));
        }
        for (String line : (Iterable<String>) r.body()::iterator) {
          if (!line.startsWith("data:")) {
            continue;
          }
          last = line.substring(5).strip();
          JsonNode ev = Fleet.JSON.readTree(last);
          if (ev.has("error")) {
            return new Ended(End.ERROR, 200, tokens, last);
          }
          tokens++;
          if (!counted) {
            counted = true;
            started.countDown();
          }
          if (!ev.path("generated_text").isNull() && !ev.path("generated_text").isMissingNode()) {
            return new Ended(End.FINAL, 200, tokens, last);
          }
        }
        return new Ended(End.CUT, 200, tokens, "stream ended without a final event after: " + last);
      } catch (IOException | java.io.UncheckedIOException | InterruptedException e) { // the connection broke
        return new Ended(End.CUT, 200, tokens, e + " after: " + last);
      } finally {
        if (!counted) {
          started.countDown();
        }
      }
    }, command -> Thread.ofVirtual().start(command));
  }

  private static List<Ended> join(List<CompletableFuture<Ended>> streams) {
    return streams.stream().map(CompletableFuture::join).toList();
  }

  @Test
  void anAdminDrainDuringStreamsLetsEveryStreamFinishThenTheNodeLeaves() throws Exception {
    try (Fleet fleet = new Fleet("drain-streams", """
        lorafleet.drain.timeout = 90s
        pekko.coordinated-shutdown.phases.service-requests-done.timeout = 100s
        """)) {
      NodeProcess n1 = fleet.start("node1");
      fleet.run(() -> {
        fleet.awaitHealthy(n1, Duration.ofSeconds(120));
        int tokens = 600;
        CountDownLatch started = new CountDownLatch(6);
        List<CompletableFuture<Ended>> streams = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
          streams.add(stream(n1, tokens, i % 2 == 0 ? null : "adapter-qv-r8", started));
        }
        assertTrue(started.await(120, TimeUnit.SECONDS), "every stream sent its first token");
        HttpResponse<String> r = fleet.post(n1, "/admin/nodes/" + Fleet.encode(n1.address()) + "/drain", "");
        assertEquals(202, r.statusCode(), r.body());
        long t0 = System.nanoTime();
        // Once the drain stops admitting, new generations are refused with a JSON 503 (or, once the node
        // is gone, not connected at all) and /health says 503.
        Fleet.await(Duration.ofSeconds(20), "the draining node refuses new generations", () -> {
          try {
            HttpResponse<String> h = fleet.get(n1, "/health");
            HttpResponse<String> g = fleet.post(n1, "/generate",
                "{\"inputs\":\"The quick\",\"parameters\":{\"max_new_tokens\":2}}");
            return h.statusCode() == 503 && g.statusCode() == 503 && g.body().contains("\"error_type\"");
          } catch (IOException e) {
            return true;
          }
        });
        List<Ended> ended = join(streams);
        log("drain: %s; node exit after %d ms", ended, (System.nanoTime() - t0) / 1_000_000);
        for (Ended e : ended) {
          assertEquals(End.FINAL, e.end(), "every stream finishes during the drain: " + e);
          assertEquals(tokens, e.tokens(), "all its tokens: " + e);
        }
        assertTrue(n1.awaitExit(120), "the drained node leaves and exits");
      });
    }
  }

  @Test
  void sigtermUnderStreamingLoadEndsEveryStreamWithItsFinalEventOrAnExplicitError() throws Exception {
    // The deadline must lie between the short streams' time and the long ones' on any machine: 40 tokens take
    // ~0.1 s on an idle 2-core machine and 2000 ~5 s (4 s was too long there: every long stream finished).
    try (Fleet fleet = new Fleet("sigterm-streams", """
        lorafleet.drain.timeout = 1500ms
        """)) {
      NodeProcess n1 = fleet.start("node1");
      fleet.run(() -> {
        fleet.awaitHealthy(n1, Duration.ofSeconds(120));
        // Short streams finish within the drain's deadline; long ones (the whole context) cannot.
        CountDownLatch started = new CountDownLatch(8);
        List<CompletableFuture<Ended>> shortStreams = new ArrayList<>();
        List<CompletableFuture<Ended>> longStreams = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          shortStreams.add(stream(n1, 40, i % 2 == 0 ? null : "adapter-mlp-r8", started));
          longStreams.add(stream(n1, 2000, i % 2 == 0 ? "adapter-all-r16" : null, started));
        }
        assertTrue(started.await(120, TimeUnit.SECONDS), "every stream sent its first token");
        Process kill = new ProcessBuilder("kill", "-TERM", Long.toString(n1.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -TERM " + n1.pid());
        long t0 = System.nanoTime();
        List<Ended> shorts = join(shortStreams);
        List<Ended> longs = join(longStreams);
        assertTrue(n1.awaitExit(90), "the node exits after SIGTERM");
        log("SIGTERM: short %s; long %s; node exit after %d ms", shorts, longs, (System.nanoTime() - t0) / 1_000_000);
        for (Ended e : shorts) {
          assertEquals(End.FINAL, e.end(), "a stream that can finish within the deadline finishes: " + e);
          assertEquals(40, e.tokens(), e.toString());
        }
        int cut = 0;
        for (Ended e : longs) {
          assertTrue(e.end() != End.CUT, "no stream is cut silently: " + e);
          if (e.end() == End.ERROR) {
            cut++;
            assertTrue(e.last().contains("\"error_type\":\"node_failed\"") && e.last().contains("\"retryable\":true"),
                "the error event says the node went away and the request may be retried: " + e);
          } else {
            assertEquals(2000, e.tokens(), e.toString());
          }
        }
        assertTrue(cut > 0, "the deadline cut the long streams (with error events): " + longs);
      });
    }
  }
}
