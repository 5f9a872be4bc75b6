package io.lorafleet.tools.loadtest;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The hostile side of a soak ({@code loadtest --hostile-rate}): next to the well-behaved load, requests an
 * unauthenticated stranger can send, at a steady rate, round-robin over {@link Kind}s: huge {@code
 * max_new_tokens}, unknown and oversized adapter ids, long stop lists, token ids that do not fit an int, and
 * clients that vanish mid-request (a raw socket closed 50-300 ms after sending, streaming or not). Counts
 * each answer's status by kind; a 5xx among them is a defect.
 */
final class HostileLoad {
  /** What a hostile request tries. */
  enum Kind { HUGE_MAX_NEW_TOKENS, UNKNOWN_ADAPTER, OVERSIZED_ID, LONG_STOP_LIST, WRAPPING_TOKEN_ID, VANISHING_CLIENT }

  private final URI base;
  private final double rate;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
  private final ExecutorService vanishing = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "hostile-vanishing-client");
    t.setDaemon(true);
    return t;
  });
  private final String longStops;

  HostileLoad(URI base, double rate) {
    this.base = base;
    this.rate = rate;
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < 16; i++) {
      sb.append(i == 0 ? "" : ",").append('"').append("z".repeat(60_000)).append(i).append('"');
    }
    this.longStops = sb.append(']').toString();
  }

  /** Sends hostile requests at the rate until {@code endNanos}; waits for their answers. */
  void run(long endNanos, long seed) throws InterruptedException {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<CompletableFuture<?>> pending = new ArrayList<>();
    long gap = (long) (1e9 / rate);
    long next = System.nanoTime();
    int i = 0;
    while (next < endNanos) {
      LockSupport.parkNanos(next - System.nanoTime());
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
      Kind kind = Kind.values()[i++ % Kind.values().length];
      pending.add(send(kind, rnd.split()));
      next += gap;
      pending.removeIf(CompletableFuture::isDone);
    }
    CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).orTimeout(120, TimeUnit.SECONDS)
        .exceptionally(e -> null).join();
    vanishing.shutdownNow();
  }

  private CompletableFuture<?> send(Kind kind, SplittableRandom rnd) {
    return switch (kind) {
      case HUGE_MAX_NEW_TOKENS -> post(kind, "/generate",
          "{\"inputs\": \"hello\", \"parameters\": {\"max_new_tokens\": " + (100_000_000 + rnd.nextInt(2_000_000_000)) + "}}");
      case UNKNOWN_ADAPTER -> post(kind, "/generate", "{\"inputs\": \"hello\", \"parameters\": {\"adapter_id\": \"nope-"
          + Long.toHexString(rnd.nextLong()) + "\"}}");
      case OVERSIZED_ID -> post(kind, "/v1/completions", "{\"prompt\": \"hello\", \"model\": \"" + "m".repeat(100_000) + "\"}");
      case LONG_STOP_LIST -> post(kind, "/generate",
          "{\"inputs\": \"hello\", \"parameters\": {\"max_new_tokens\": 64, \"stop\": " + longStops + "}}");
      case WRAPPING_TOKEN_ID -> post(kind, "/v1/completions", "{\"prompt\": [4294967301], \"max_tokens\": 4}");
      case VANISHING_CLIENT -> CompletableFuture.runAsync(() -> vanish(rnd.nextBoolean(), 50 + rnd.nextInt(250)),
          vanishing);
    };
  }

  private CompletableFuture<?> post(Kind kind, String path, String body) {
    HttpRequest r = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    return client.sendAsync(r, HttpResponse.BodyHandlers.discarding())
        .handle((rsp, err) -> {
          count(kind, err != null ? "error:" + err.getClass().getSimpleName() : Integer.toString(rsp.statusCode()));
          return null;
        });
  }

  /** A client that asks for a long generation and closes its socket {@code afterMillis} later. */
  private void vanish(boolean stream, int afterMillis) {
    String body = "{\"inputs\": \"tell me a long story\", \"parameters\": {\"max_new_tokens\": 1000,"
        + " \"ignore_eos_token\": true}}";
    try (Socket s = new Socket(base.getHost(), base.getPort())) {
      OutputStream out = s.getOutputStream();
      out.write(("POST " + (stream ? "/generate_stream" : "/generate") + " HTTP/1.1\r\nHost: " + base.getHost()
          + "\r\nContent-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
          + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
      out.flush();
      Thread.sleep(afterMillis);
      count(Kind.VANISHING_CLIENT, "hung up");
    } catch (IOException e) {
      count(Kind.VANISHING_CLIENT, "error:" + e.getClass().getSimpleName());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void count(Kind kind, String outcome) {
    counts.computeIfAbsent(kind.name().toLowerCase(Locale.ROOT) + " " + outcome, k -> new AtomicLong()).incrementAndGet();
  }

  /** Server errors (5xx) among the answers. */
  long serverErrors() {
    return counts.entrySet().stream().filter(e -> e.getKey().matches(".* 5\\d\\d")).mapToLong(e -> e.getValue().get()).sum();
  }

  /** A table: kind, outcome (status, "hung up" or a client-side error), count. */
  String table() {
    Map<String, Long> sorted = new TreeMap<>();
    counts.forEach((k, v) -> sorted.put(k, v.get()));
    StringBuilder sb = new StringBuilder("\nhostile requests (kind, outcome, count)\n");
    sorted.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "  %-40s %8d%n", k, v)));
    sb.append(String.format(Locale.ROOT, "  server errors (5xx): %d%n", serverErrors()));
    return sb.toString();
  }
}
