package io.lorafleet.actors.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A small JSON-over-HTTP client for the tests (the JDK's client). */
final class HttpTestClient {
  static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;

  HttpTestClient(String base) {
    this.base = base;
  }

  /** A response: status, body, and the raw response for headers. */
  record Reply(int status, String body, HttpResponse<String> raw) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON (" + status + "): " + body, e);
      }
    }

    /** The JSON objects of an SSE body ({@code data: [DONE]} kept as a null entry). */
    List<JsonNode> events() {
      List<JsonNode> out = new ArrayList<>();
      for (String line : body.split("\n")) {
        if (line.startsWith("data: ")) {
          String d = line.substring(6);
          try {
            out.add(d.equals("[DONE]") ? null : JSON.readTree(d));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      }
      return out;
    }

    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }
  }

  private HttpRequest.Builder request(String path, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return b;
  }

  CompletableFuture<Reply> postAsync(String path, String body, String... headers) {
    HttpRequest r = request(path, headers).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    return client.sendAsync(r, HttpResponse.BodyHandlers.ofString()).thenApply(x -> new Reply(x.statusCode(), x.body(), x));
  }

  Reply post(String path, Object body, String... headers) {
    return postAsync(path, body instanceof String s ? s : write(body), headers).join();
  }

  Reply get(String path, String... headers) {
    return send(request(path, headers).GET().build());
  }

  Reply delete(String path, String... headers) {
    return send(request(path, headers).DELETE().build());
  }

  private Reply send(HttpRequest r) {
    try {
      HttpResponse<String> x = client.send(r, HttpResponse.BodyHandlers.ofString());
      return new Reply(x.statusCode(), x.body(), x);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static String write(Object o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
