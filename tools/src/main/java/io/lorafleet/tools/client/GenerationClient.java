package io.lorafleet.tools.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;

/**
 * The one HTTP client of the measuring tools for a running {@code lorafleet serve}: generation requests
 * through either API ({@link ServingApi}), streamed or not, each followed as it arrives (status, time of the
 * first token and of the end, the server's token counts) into a {@link RequestOutcome}; and the node's
 * {@code /metrics}, {@code /v1/models}, {@code /info} and {@code /health}. It sends asynchronously (the JDK's
 * HTTP client, HTTP/1.1 with keep-alive): the open-loop load test starts requests without waiting, closed-loop
 * callers wait for the outcome.
 */
public final class GenerationClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final HttpClient http;

  /** A client for the node at {@code base} (e.g. {@code http://127.0.0.1:8080}). */
  public GenerationClient(URI base, Duration connectTimeout) {
    this.base = base;
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout).build();
  }

  public URI base() {
    return base;
  }

  /**
   * One generation request on its way.
   *
   * @param outcome completes with the request's outcome once its response ended (or failed)
   */
  public record Exchange(ExchangeRecorder recorder, CompletableFuture<HttpResponse<Void>> response,
      CompletableFuture<RequestOutcome> outcome) {
    /** Whether the request was handed to the HTTP client at all (otherwise the outcome says why not). */
    public boolean started() {
      return response != null;
    }

    /** Gives up on a response still running: the outcome of a request that did not finish in time. */
    public RequestOutcome giveUp() {
      if (outcome.isDone()) {
        return outcome.join();
      }
      recorder.abort();
      response.cancel(true);
      return outcome.isDone() ? outcome.join() : recorder.failed(new CancellationException("given up"));
    }
  }

  /**
   * Sends one greedy request for {@code maxNewTokens} tokens (end of sequence ignored).
   *
   * @param adapter        the adapter id (null: the base model)
   * @param timeout        longest wait for the response's headers
   * @param warmup         marks the outcome as a warm-up request
   * @param scheduledNanos the request's arrival in the caller's schedule ({@link System#nanoTime()}); its
   *                       latencies count from there
   */
  public Exchange send(ServingApi api, boolean stream, String adapter, String prompt, int maxNewTokens,
      Duration timeout, boolean warmup, long scheduledNanos) {
    return send(api, stream, adapter, prompt, maxNewTokens, null, timeout, warmup, scheduledNanos);
  }

  /** {@link #send(ServingApi, boolean, String, String, int, Duration, boolean, long)} with a priority class (null: none). */
  public Exchange send(ServingApi api, boolean stream, String adapter, String prompt, int maxNewTokens,
      String priority, Duration timeout, boolean warmup, long scheduledNanos) {
    ExchangeRecorder rec = new ExchangeRecorder(api, stream, adapter, warmup, scheduledNanos);
    HttpRequest request;
    try {
      byte[] body = JSON.writeValueAsBytes(api.body(adapter, prompt, maxNewTokens, stream, priority));
      request = HttpRequest.newBuilder(base.resolve(api.path(stream)))
          .timeout(timeout)
          .header("Content-Type", "application/json")
          .header("Accept", stream ? "text/event-stream" : "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(body))
          .build();
    } catch (JsonProcessingException | IllegalArgumentException e) {
      return notStarted(rec, adapter, warmup, scheduledNanos);
    }
    rec.sent(System.nanoTime());
    CompletableFuture<HttpResponse<Void>> response;
    try {
      response = http.sendAsync(request, rec.handler());
    } catch (RuntimeException e) {
      return notStarted(rec, adapter, warmup, scheduledNanos);
    }
    CompletableFuture<RequestOutcome> outcome = response.handle((rsp, err) -> err == null ? rec.outcome()
        : rec.failed(err));
    return new Exchange(rec, response, outcome);
  }

  private static Exchange notStarted(ExchangeRecorder rec, String adapter, boolean warmup, long scheduledNanos) {
    return new Exchange(rec, null, CompletableFuture.completedFuture(
        RequestOutcome.notStarted(adapter, warmup, "client_error", scheduledNanos)));
  }

  /** The node's {@code /metrics} ({@link MetricsScrape#EMPTY} when they cannot be read). */
  public CompletableFuture<MetricsScrape> metrics(Duration timeout) {
    HttpRequest req = HttpRequest.newBuilder(base.resolve("/metrics")).timeout(timeout).GET().build();
    return http.sendAsync(req, HttpResponse.BodyHandlers.ofString())
        .thenApply(r -> r.statusCode() == 200 ? MetricsScrape.parse(r.body()) : MetricsScrape.EMPTY)
        .exceptionally(t -> MetricsScrape.EMPTY);
  }

  /**
   * The adapter ids of {@code GET /v1/models} (the entries with a parent model), sorted.
   *
   * @throws IOException when the node cannot be reached, answers another status or no JSON
   */
  public List<String> adapters(Duration timeout) throws IOException, InterruptedException {
    HttpRequest req = HttpRequest.newBuilder(base.resolve("/v1/models")).timeout(timeout).GET().build();
    HttpResponse<String> rsp;
    try {
      rsp = http.send(req, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IOException("cannot list adapters at " + req.uri() + ": " + e, e);
    }
    if (rsp.statusCode() != 200) {
      throw new IOException("GET " + req.uri() + " answered " + rsp.statusCode() + ": " + rsp.body());
    }
    List<String> ids = new ArrayList<>();
    try {
      for (JsonNode m : JSON.readTree(rsp.body()).path("data")) {
        if (m.hasNonNull("parent") && m.path("id").isTextual()) {
          ids.add(m.get("id").textValue());
        }
      }
    } catch (IOException e) {
      throw new IOException("GET " + req.uri() + " did not answer JSON: " + e.getMessage(), e);
    }
    ids.sort(null);
    return ids;
  }

  /** {@code GET /info} as JSON. */
  public JsonNode info(Duration timeout) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/info")).timeout(timeout).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body());
  }

  /** Polls {@code /health} until it answers 200 or {@code wait} has passed. */
  public boolean awaitHealthy(Duration wait) throws InterruptedException {
    long end = System.nanoTime() + wait.toNanos();
    while (System.nanoTime() < end) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/health"))
            .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return true;
        }
      } catch (IOException e) {
        // not up yet
      }
      Thread.sleep(250);
    }
    return false;
  }

  @Override
  public void close() {
    http.close();
  }
}
