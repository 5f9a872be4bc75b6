package io.lorafleet.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * A {@code lorafleet serve} node over HTTP: LoRAX's {@code POST /generate} with the prompt as the synthetic
 * tokenizer's words, the adapter by its registered name, {@code details} on so that the response says how
 * many tokens the server counted. A request's latency is the client's wall time from sending to the whole
 * response. HTTP/1.1 with keep-alive, one connection per concurrent client.
 */
final class HttpTarget implements Target {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI generate;
  private final URI health;
  private final List<String> adapterNames;
  private final HttpClient client;
  private final Duration timeout;

  HttpTarget(URI base, List<String> adapterNames, Duration timeout) {
    this.generate = base.resolve("/generate");
    this.health = base.resolve("/health");
    this.adapterNames = List.copyOf(adapterNames);
    this.timeout = timeout;
    this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  /** Polls {@code /health} until it answers 200 or {@code wait} has passed. */
  boolean awaitHealthy(Duration wait) throws InterruptedException {
    long end = System.nanoTime() + wait.toNanos();
    while (System.nanoTime() < end) {
      try {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(5)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
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

  static String body(String inputs, String adapterId, int newTokens) {
    ObjectNode root = JSON.createObjectNode();
    root.put("inputs", inputs);
    ObjectNode p = root.putObject("parameters");
    p.put("adapter_id", adapterId);
    p.put("max_new_tokens", newTokens);
    p.put("ignore_eos_token", true);
    p.put("details", true);
    return root.toString();
  }

  @Override
  public Completion generate(String requestId, int adapter, int[] prompt, int newTokens) {
    HttpRequest req = HttpRequest.newBuilder(generate).timeout(timeout).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body(Prompts.text(prompt), adapterNames.get(adapter), newTokens)))
        .build();
    long t0 = System.nanoTime();
    HttpResponse<String> r;
    try {
      r = client.send(req, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException("request " + requestId + " to " + generate + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    double ms = (System.nanoTime() - t0) / 1e6;
    if (r.statusCode() != 200) {
      throw new IllegalStateException("request " + requestId + ": HTTP " + r.statusCode() + ": " + r.body());
    }
    try {
      JsonNode details = JSON.readTree(r.body()).path("details");
      return new Completion(ms, details.path("prompt_tokens").asInt(-1), details.path("generated_tokens").asInt(-1));
    } catch (IOException e) {
      throw new IllegalStateException("request " + requestId + ": unreadable response " + r.body(), e);
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
