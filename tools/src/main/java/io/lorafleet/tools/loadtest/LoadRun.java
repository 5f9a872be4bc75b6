package io.lorafleet.tools.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.tools.client.MetricsScrape;
import io.lorafleet.tools.client.RequestOutcome;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * What a {@link LoadGenerator} run collected: every request's outcome, the measured window, the node's
 * metrics at its start and end, and how busy the load generator's machine was.
 */
record LoadRun(List<RequestOutcome> outcomes, long windowStartNanos, long windowEndNanos, MetricsScrape before,
    MetricsScrape after, LoadTestReport.Client client) {

  LoadTestReport report(LoadTestSettings settings, int adapters) {
    return LoadTestReport.of(settings, adapters, outcomes, windowStartNanos, windowEndNanos, before, after, client);
  }

  /**
   * Writes one JSON line per request, in arrival order: {@code adapter, warmup, result, reason, at_ms}
   * (arrival, from the start of the measured window), {@code ttft_ms, e2e_ms} (null when not measured),
   * {@code generated_tokens, prompt_tokens}.
   */
  void writeRequests(Path file) throws IOException {
    ObjectMapper json = new ObjectMapper();
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (RequestOutcome o : outcomes.stream()
          .sorted(Comparator.comparingLong(RequestOutcome::scheduledNanos)).toList()) {
        ObjectNode n = json.createObjectNode();
        n.put("adapter", o.adapter());
        n.put("warmup", o.warmup());
        n.put("result", o.result().name().toLowerCase(Locale.ROOT));
        n.put("reason", o.reason());
        n.put("at_ms", ms(o.scheduledNanos() - windowStartNanos));
        if (o.firstTokenNanos() != 0) {
          n.put("ttft_ms", ms(o.firstTokenNanos() - o.scheduledNanos()));
        } else {
          n.putNull("ttft_ms");
        }
        if (o.result() == RequestOutcome.Result.OK) {
          n.put("e2e_ms", ms(o.endNanos() - o.scheduledNanos()));
        } else {
          n.putNull("e2e_ms");
        }
        n.put("generated_tokens", o.generatedTokens());
        n.put("prompt_tokens", o.promptTokens());
        w.write(json.writeValueAsString(n));
        w.newLine();
      }
    }
  }

  private static double ms(long nanos) {
    return Math.round(nanos / 1e3) / 1e3;
  }
}
