package io.lorafleet.tools.loadtest;

import io.lorafleet.runtime.cli.CliInputException;
import io.lorafleet.tools.report.TextTable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code lorafleet loadtest-compare}: a Markdown table of several {@code loadtest --json} reports, one row per
 * adapter count (reports with the same count are merged: slices of one rotation), with each latency also as a
 * ratio to the first row's (the baseline, e.g. one adapter, measured in the same run).
 */
@Command(name = "loadtest-compare", mixinStandardHelpOptions = true,
    description = "Print a Markdown table of loadtest --json reports, merging those with the same adapter count; "
        + "ratios are to the first row.")
public final class LoadTestCompareCommand implements Callable<Integer> {
  @Parameters(arity = "1..*", paramLabel = "REPORT", description = "loadtest --json files; the first is the baseline")
  List<Path> reports;

  @Override
  public Integer call() {
    List<LoadTestReport> rs = new ArrayList<>();
    for (Path p : reports) {
      try {
        rs.add(LoadTestReport.read(p));
      } catch (IOException e) {
        throw new CliInputException(p + ": not a loadtest report: " + e.getMessage());
      }
    }
    Map<Integer, List<LoadTestReport>> byCount = new LinkedHashMap<>();
    for (LoadTestReport r : rs) {
      byCount.computeIfAbsent(r.config().adapters(), n -> new ArrayList<>()).add(r);
    }
    System.out.print(markdown(byCount.values().stream().map(LoadTestReport::merge).toList()));
    return 0;
  }

  static String markdown(List<LoadTestReport> rs) {
    LoadTestReport base = rs.getFirst();
    TextTable t = new TextTable("adapters", "req/s (offered)", "tokens/s", "TTFT p50 ms", "TTFT p99 ms", "e2e p50 ms",
        "e2e p99 ms", "TTFT p50 x", "TTFT p99 x", "e2e p50 x", "e2e p99 x", "hit rate device / cpu",
        "failed / not started", "load avg").alignRight(0).numbers();
    for (LoadTestReport r : rs) {
      var c = r.cache().tiers();
      t.add(Integer.toString(r.config().adapters()),
          String.format(Locale.ROOT, "%.1f (%.1f)", r.throughput().requestsPerS(), r.throughput().offeredRequestsPerS()),
          String.format(Locale.ROOT, "%.0f", r.throughput().generatedTokensPerS()), ms(r.ttftMs().p50()),
          ms(r.ttftMs().p99()), ms(r.e2eMs().p50()), ms(r.e2eMs().p99()), ratio(r.ttftMs().p50(), base.ttftMs().p50()),
          ratio(r.ttftMs().p99(), base.ttftMs().p99()), ratio(r.e2eMs().p50(), base.e2eMs().p50()),
          ratio(r.e2eMs().p99(), base.e2eMs().p99()), rate(c.get("device")) + " / " + rate(c.get("cpu")),
          r.requests().failed() + " / " + r.requests().notStarted(), load(r.client()));
    }
    return t.markdown();
  }

  private static String ms(Double v) {
    return v == null ? "-" : String.format(Locale.ROOT, "%.1f", v);
  }

  private static String ratio(Double v, Double base) {
    return v == null || base == null || base == 0 ? "-" : String.format(Locale.ROOT, "%.2f", v / base);
  }

  private static String load(LoadTestReport.Client c) {
    return c == null ? "-" : String.format(Locale.ROOT, "%.1f-%.1f", c.loadAverageStart(), c.loadAverageEnd());
  }

  private static String rate(LoadTestReport.TierCounts t) {
    return t == null || t.hitRate() == null ? "-" : String.format(Locale.ROOT, "%.2f", t.hitRate());
  }
}
