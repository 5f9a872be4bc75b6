package io.lorafleet.tools.loadtest;

import io.lorafleet.tools.report.TextTable;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** The human-readable form of a {@link LoadTestReport}: a header line and aligned tables. */
final class LoadTestTable {
  private LoadTestTable() {}

  static String render(LoadTestReport r) {
    LoadTestReport.Config c = r.config();
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT,
        "lorafleet loadtest %s: %s%s, %d adapters (zipf %.2f), %.1f req/s for %.0f s (+%.0f s warmup), "
            + "%d-word prompts, %d new tokens%n%n",
        c.url(), c.api(), c.stream() ? " stream" : "", c.adapters(), c.zipf(), c.rate(), c.durationS(), c.warmupS(),
        c.promptTokens(), c.maxNewTokens()));
    LoadTestReport.Requests q = r.requests();
    sb.append(new TextTable("requests", "sent", "ok", "failed", "not started", "adapters used").numbers()
        .add("", Long.toString(q.sent()), Long.toString(q.ok()), Long.toString(q.failed()),
            Long.toString(q.notStarted()), Integer.toString(q.distinctAdapters()))
        .render());
    if (!q.failedByStatus().isEmpty()) {
      sb.append("failed by status: ").append(counts(q.failedByStatus())).append('\n');
    }
    if (!q.notStartedByReason().isEmpty()) {
      sb.append("not started: ").append(counts(q.notStartedByReason())).append('\n');
    }
    sb.append('\n');
    LoadTestReport.Throughput t = r.throughput();
    sb.append(new TextTable("throughput", "offered req/s", "req/s", "tokens/s", "elapsed s", "prompt tokens").numbers()
        .add("", num(t.offeredRequestsPerS(), 1), num(t.requestsPerS(), 1), num(t.generatedTokensPerS(), 1),
            num(r.elapsedS(), 1), num(t.meanPromptTokens(), 1))
        .render()).append('\n');
    TextTable lat = new TextTable("latency ms", "p50", "p90", "p99", "max", "mean", "n").numbers();
    latency(lat, "ttft", r.ttftMs());
    latency(lat, "e2e", r.e2eMs());
    latency(lat, "schedule lag", r.scheduleLagMs());
    sb.append(lat.render()).append('\n');
    TextTable cache = new TextTable("adapter cache", "hits", "misses", "hit rate").numbers();
    if (r.cache().tiers().isEmpty()) {
      cache.add("(no /metrics)", "-", "-", "-");
    }
    r.cache().tiers().forEach((tier, k) -> cache.add(tier + (tier.equals(r.cache().hitRateTier()) ? " *" : ""),
        Long.toString(k.hits()), Long.toString(k.misses()), k.hitRate() == null ? "-" : num(k.hitRate(), 3)));
    sb.append(cache.render());
    LoadTestReport.Client m = r.client();
    if (m != null) {
      sb.append(String.format(Locale.ROOT, "%nload generator machine: %d cores, load average %.2f at the start, %.2f at the end%n",
          m.cores(), m.loadAverageStart(), m.loadAverageEnd()));
    }
    return sb.toString();
  }

  private static void latency(TextTable t, String name, LoadTestReport.Latency l) {
    if (l.count() == 0) {
      t.add(name, "-", "-", "-", "-", "-", "0");
    } else {
      t.add(name, num(l.p50(), 1), num(l.p90(), 1), num(l.p99(), 1), num(l.max(), 1), num(l.mean(), 1),
          Long.toString(l.count()));
    }
  }

  private static String counts(Map<String, Long> m) {
    return m.entrySet().stream().map(e -> e.getKey() + " x" + e.getValue()).collect(Collectors.joining(", "));
  }

  private static String num(double v, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }
}
