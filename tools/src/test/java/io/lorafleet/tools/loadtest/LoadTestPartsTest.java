package io.lorafleet.tools.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.tools.client.MetricsScrape;
import io.lorafleet.tools.client.RequestOutcome;
import io.lorafleet.tools.client.ServingApi;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The load test's pure parts: the metrics parser, report merging, the table. */
class LoadTestPartsTest {
  @Test
  void parsesPrometheusText() {
    MetricsScrape m = MetricsScrape.parse("""
        # HELP lorafleet_adapter_cache_hits_total adapter requests served from the tier
        # TYPE lorafleet_adapter_cache_hits_total counter
        lorafleet_adapter_cache_hits_total{tier="cpu"} 12.0
        lorafleet_adapter_cache_hits_total{tier="device"} 3
        lorafleet_generated_tokens_total 4.5E3 1700000000000
        garbage line
        """);
    assertEquals(12.0, m.value("lorafleet_adapter_cache_hits_total", "tier", "cpu").orElseThrow());
    assertEquals(3.0, m.value("lorafleet_adapter_cache_hits_total", "tier", "device").orElseThrow());
    assertEquals(4500.0, m.value("lorafleet_generated_tokens_total").orElseThrow());
    assertTrue(m.value("lorafleet_adapter_cache_hits_total", "tier", "disk").isEmpty());
  }

  @Test
  void mergedReportsAddUpAndKeepExactPercentiles() {
    LoadTestSettings s = new LoadTestSettings(URI.create("http://127.0.0.1:1"), ServingApi.LORAX, true, 2,
        "adapter-", 10, Duration.ofSeconds(1), Duration.ZERO, 1.1, 4, 4, 1, 0, Duration.ofSeconds(5));
    List<RequestOutcome> all = new ArrayList<>();
    List<LoadTestReport> parts = new ArrayList<>();
    for (int part = 0; part < 2; part++) {
      List<RequestOutcome> outcomes = new ArrayList<>();
      for (int i = 1; i <= 50; i++) {
        long ms = 1_000_000L;
        long t0 = part * 10_000 * ms + i * ms;
        outcomes.add(new RequestOutcome("adapter-000" + (i % 2), false, RequestOutcome.Result.OK, null, t0, t0,
            t0 + (i + 100L * part) * ms, t0 + (2 * i + 100L * part) * ms, 4, 7));
      }
      outcomes.add(RequestOutcome.notStarted("adapter-0000", false, "concurrency_limit", part * 10_000_000_000L));
      all.addAll(outcomes);
      long start = part * 10_000_000_000L;
      parts.add(LoadTestReport.of(s, 2, outcomes, start, start + 1_000_000_000L, MetricsScrape.EMPTY,
          MetricsScrape.EMPTY, new LoadTestReport.Client(2, part, part + 1)));
    }
    LoadTestReport merged = LoadTestReport.merge(parts);
    LoadTestReport whole = LoadTestReport.of(s, 2, all, 0, 1_000_000_000L, MetricsScrape.EMPTY, MetricsScrape.EMPTY,
        null);
    assertEquals(102, merged.requests().sent());
    assertEquals(100, merged.requests().ok());
    assertEquals(2, merged.requests().notStartedByReason().get("concurrency_limit"));
    assertEquals(400, merged.throughput().generatedTokens());
    assertEquals(7.0, merged.throughput().meanPromptTokens());
    assertEquals(2.0, merged.config().durationS());
    assertEquals(whole.ttftMs().p50(), merged.ttftMs().p50());
    assertEquals(whole.ttftMs().p99(), merged.ttftMs().p99());
    assertEquals(whole.e2eMs().p90(), merged.e2eMs().p90());
    assertEquals(100, merged.e2eMs().count());
    assertEquals(2.0, merged.client().loadAverageEnd());
    assertTrue(merged.cache().tiers().isEmpty());
  }

  @Test
  void theTableShowsEveryFigure() {
    LoadTestSettings s = new LoadTestSettings(URI.create("http://127.0.0.1:1"), ServingApi.OPENAI, false, 1,
        "adapter-", 10, Duration.ofSeconds(1), Duration.ZERO, 1.1, 4, 4, 1, 0, Duration.ofSeconds(5));
    long ms = 1_000_000L;
    List<RequestOutcome> outcomes = List.of(
        new RequestOutcome("adapter-0", false, RequestOutcome.Result.OK, null, 0, 0, 0, 20 * ms, 4, 7),
        new RequestOutcome("adapter-0", false, RequestOutcome.Result.FAILED, "503", ms, ms, 0, 2 * ms, 0, 0));
    String t = LoadTestTable.render(LoadTestReport.of(s, 1, outcomes, 0, 1_000 * ms, MetricsScrape.EMPTY,
        MetricsScrape.EMPTY, new LoadTestReport.Client(2, 0.5, 0.75)));
    assertTrue(t.contains("openai, 1 adapters"), t);
    assertTrue(t.contains("failed by status: 503 x1"), t);
    assertTrue(t.lines().anyMatch(l -> l.matches("e2e +20\\.0 +20\\.0 +20\\.0 +20\\.0 +20\\.0 +1")), t);
    assertTrue(t.contains("(no /metrics)"), t);
    assertTrue(t.contains("load average 0.50 at the start, 0.75 at the end"), t);
  }

  @Test
  void theComparisonIsAMarkdownTableWithRatiosToTheFirstRow() {
    long ms = 1_000_000L;
    List<LoadTestReport> reports = new ArrayList<>();
    for (int adapters : new int[] {1, 10}) {
      LoadTestSettings s = new LoadTestSettings(URI.create("http://127.0.0.1:1"), ServingApi.LORAX, true, adapters,
          "adapter-", 10, Duration.ofSeconds(1), Duration.ZERO, 1.1, 4, 4, 1, 0, Duration.ofSeconds(5));
      long e2e = adapters == 1 ? 20 : 40;
      List<RequestOutcome> outcomes = List.of(new RequestOutcome("adapter-0", false, RequestOutcome.Result.OK, null, 0,
          0, 5 * ms, e2e * ms, 4, 7));
      reports.add(LoadTestReport.of(s, adapters, outcomes, 0, 1_000 * ms, MetricsScrape.EMPTY, MetricsScrape.EMPTY,
          new LoadTestReport.Client(2, 1, 2)));
    }
    List<String> lines = LoadTestCompareCommand.markdown(reports).lines().toList();
    assertEquals(4, lines.size(), String.join("\n", lines));
    assertTrue(lines.get(0).startsWith("| adapters | req/s (offered) | tokens/s | TTFT p50 ms |"), lines.get(0));
    assertEquals("|" + "---:|".repeat(14), lines.get(1));
    assertEquals("| 1 | 1.0 (1.0) | 4 | 5.0 | 5.0 | 20.0 | 20.0 | 1.00 | 1.00 | 1.00 | 1.00 | - / - | 0 / 0 | 1.0-2.0 |",
        lines.get(2));
    assertTrue(lines.get(3).startsWith("| 10 |") && lines.get(3).contains("| 40.0 | 40.0 | 1.00 | 1.00 | 2.00 | 2.00 |"),
        lines.get(3));
  }
}
