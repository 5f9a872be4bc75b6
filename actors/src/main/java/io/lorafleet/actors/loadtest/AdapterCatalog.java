package io.lorafleet.actors.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafleet.runtime.cli.CliInputException;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The adapter ids a load test spreads its requests over, most popular first: {@code prefix + index} when a
 * prefix is given ({@link RandomAdapterWriter#name}), otherwise the first N adapters, by id, of the server's
 * {@code GET /v1/models} (the entries with a parent model).
 */
final class AdapterCatalog {
  private static final ObjectMapper JSON = new ObjectMapper();

  private AdapterCatalog() {}

  static List<String> resolve(HttpClient client, LoadTestSettings s) {
    if (s.adapterPrefix() != null) {
      int n = s.adapters();
      return IntStream.range(0, n).mapToObj(i -> RandomAdapterWriter.name(s.adapterPrefix(), i, n)).toList();
    }
    if (s.adapters() != null && s.adapters() == 0) {
      return List.of();
    }
    List<String> listed = listed(client, s);
    if (s.adapters() == null) {
      return listed;
    }
    if (listed.size() < s.adapters()) {
      throw new CliInputException("the server lists " + listed.size() + " adapters, fewer than --adapters "
          + s.adapters() + " (start it with --adapters DIR holding enough of them, see make-adapters)");
    }
    return List.copyOf(listed.subList(0, s.adapters()));
  }

  private static List<String> listed(HttpClient client, LoadTestSettings s) {
    HttpRequest req = HttpRequest.newBuilder(s.url().resolve("/v1/models")).timeout(s.timeout()).GET().build();
    HttpResponse<String> rsp;
    try {
      rsp = client.send(req, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new CliInputException("cannot list adapters at " + req.uri() + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliInputException("interrupted while listing adapters");
    }
    if (rsp.statusCode() != 200) {
      throw new CliInputException("GET " + req.uri() + " answered " + rsp.statusCode() + ": " + rsp.body());
    }
    List<String> ids = new ArrayList<>();
    try {
      for (JsonNode m : JSON.readTree(rsp.body()).path("data")) {
        if (m.hasNonNull("parent") && m.path("id").isTextual()) {
          ids.add(m.get("id").textValue());
        }
      }
    } catch (IOException e) {
      throw new CliInputException("GET " + req.uri() + " did not answer JSON: " + e.getMessage());
    }
    ids.sort(null);
    return ids;
  }
}
