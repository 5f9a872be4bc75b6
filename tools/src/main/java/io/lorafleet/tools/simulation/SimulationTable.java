package io.lorafleet.tools.simulation;

import io.lorafleet.tools.report.TextTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The simulation report as a text table: one row per figure, one column per policy (side by side), the
 * target and whether LoraFleet's policies meet it.
 */
final class SimulationTable {
  private SimulationTable() {}

  /** A row: its label, the cell of each policy, the target (or empty) and the verdict for LoraFleet. */
  private record Row(String label, List<String> cells, String target, String verdict) {}

  public static String render(SimulationReport report) {
    SimulationConfig c = report.config();
    TraceSpec w = c.workload();
    SimulationReport.TraceSummary t = report.trace();
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT,
        "Simulation: %,d GPU nodes x %,d adapters, Zipf(%.2f), %,.0f req/s + %d bursts over %.0f s (%.0f s warm-up), "
            + "seed %d%n", c.nodes(), w.adapters(), w.zipfExponent(), w.ratePerSecond(), t.bursts().size(),
        w.durationSeconds(), w.warmupSeconds(), c.seed()));
    GpuNodeModel m = c.node();
    out.append(String.format(Locale.ROOT,
        "Node: %d device slots, batch %d, %.0f MB mean adapter; fleet capacity ~%,.0f req/s, offered %,.0f req/s "
            + "(%.0f%%)%n%n", m.adapterSlots(), m.maxBatch(), t.meanAdapterBytes() / 1e6, t.fleetCapacityPerSecond(),
        t.offeredPerSecond(), 100 * t.offeredPerSecond() / t.fleetCapacityPerSecond()));

    List<PolicyReport> ps = report.policies();
    SimulationReport.Targets targets = report.targets();
    PolicyReport lf = ps.get(0);
    List<Row> rows = new ArrayList<>();
    rows.add(row(ps, "requests (measured)", p -> String.format(Locale.ROOT, "%,d", p.requests()), "", ""));
    rows.add(row(ps, "GPU-resident hit rate", p -> pct(p.hitRate()),
        String.format(Locale.ROOT, ">= %.0f %%", 100 * targets.hitRate()), verdict(targets.hitRateMet(lf))));
    rows.add(row(ps, "max/mean node load (run)", p -> num(p.maxMeanLoad()),
        String.format(Locale.ROOT, "<= %.2f", targets.maxMeanLoad()), verdict(targets.loadMet(lf))));
    rows.add(row(ps, String.format(Locale.ROOT, "max/mean node load (worst %.0f s)", c.windowSeconds()),
        p -> num(p.worstWindowMaxMeanLoad()), "", ""));
    rows.add(row(ps, "max/mean served per node", p -> num(p.maxMeanServed()), "", ""));
    rows.add(row(ps, "throughput (req/s)", p -> String.format(Locale.ROOT, "%,.0f", p.throughputPerSecond()), "", ""));
    rows.add(row(ps, "dropped (refused + timed out)", p -> String.format(Locale.ROOT, "%,d (%s)", p.dropped(),
        pct(p.requests() == 0 ? 0 : (double) p.dropped() / p.requests())), "", ""));
    rows.add(row(ps, "queueing delay p50 (ms)", p -> String.format(Locale.ROOT, "%.1f", p.queueDelayP50Ms()), "", ""));
    rows.add(row(ps, "queueing delay p99 (ms)", p -> String.format(Locale.ROOT, "%,.1f", p.queueDelayP99Ms()), "", ""));
    rows.add(row(ps, "adapter transfers to devices", p -> String.format(Locale.ROOT, "%,d", p.deviceLoads()), "", ""));
    rows.add(row(ps, "adapter transfer volume", p -> String.format(Locale.ROOT, "%,.1f GB", p.transferBytes() / 1e9),
        "", ""));
    rows.add(row(ps, "spilled requests", p -> extra(p, "spillFraction", v -> pct(((Number) v).doubleValue())), "", ""));
    rows.add(row(ps, "replicated adapters (peak)", p -> extra(p, "replicatedAdaptersPeak", String::valueOf), "", ""));
    rows.add(row(ps, "replicas (peak total / largest)", p -> p.extras().containsKey("replicasPeak")
        ? p.extras().get("replicasPeak") + " / " + p.extras().get("largestReplicaCountPeak") : "-", "", ""));
    rows.add(row(ps, "CPU time of the run (s)", p -> String.format(Locale.ROOT, "%.1f",
        report.cpuSeconds().getOrDefault(p.policy(), 0.0)), "", ""));

    List<String> header = new ArrayList<>();
    header.add("");
    ps.forEach(p -> header.add(p.policy()));
    header.add("target");
    header.add(lf.policy());
    TextTable table = new TextTable(header.toArray(String[]::new)).numbers();
    for (Row r : rows) {
      List<String> cells = new ArrayList<>();
      cells.add(r.label());
      cells.addAll(r.cells());
      cells.add(r.target());
      cells.add(r.verdict());
      table.add(cells.toArray(String[]::new));
    }
    out.append(table.render());
    boolean all = targets.hitRateMet(lf) && targets.loadMet(lf);
    out.append(String.format(Locale.ROOT, "%n%s: targets %s. Every request accounted for: %s. Wall time %.1f s.%n",
        lf.policy(), all ? "met" : "NOT met", ps.stream().allMatch(p -> p.accounting().balanced()
            && p.accounting().unfinished() == 0) ? "yes" : "NO", report.wallSeconds()));
    return out.toString();
  }

  private static Row row(List<PolicyReport> ps, String label, Function<PolicyReport, String> cell, String target,
      String verdict) {
    return new Row(label, ps.stream().map(cell).toList(), target, verdict);
  }

  private static String extra(PolicyReport p, String key, Function<Object, String> format) {
    Object v = p.extras().get(key);
    return v == null ? "-" : format.apply(v);
  }

  private static String verdict(boolean met) {
    return met ? "met" : "MISSED";
  }

  private static String pct(double f) {
    return String.format(Locale.ROOT, "%.2f %%", 100 * f);
  }

  private static String num(double v) {
    return String.format(Locale.ROOT, v >= 100 ? "%,.0f" : "%.3f", v);
  }
}
