package io.lorafleet.tools.simulation;

import io.lorafleet.tools.report.LineChart;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The simulation report as a PNG of three {@link LineChart}s, one line per policy: GPU-resident hit rate per
 * window over time; busiest node over the mean (routed requests) per window over time, log scale; and routed
 * requests per node over the mean, nodes sorted from busiest, log scale. Targets are dashed lines, the
 * warm-up is shaded.
 */
final class SimulationChart {
  static final int WIDTH = 1200;
  static final int PANEL = 360;
  private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c)};

  private SimulationChart() {}

  static void write(SimulationReport report, Path file) throws IOException {
    LineChart.writePng(file, heading(report), WIDTH, PANEL, panels(report));
  }

  static String heading(SimulationReport report) {
    SimulationConfig c = report.config();
    return String.format(Locale.ROOT, "LoraFleet simulation: %,d nodes x %,d adapters, Zipf(%.2f), %,.0f req/s "
            + "+ bursts, %.0f s, seed %d", c.nodes(), c.workload().adapters(), c.workload().zipfExponent(),
        c.workload().ratePerSecond(), c.workload().durationSeconds(), c.seed());
  }

  static List<LineChart> panels(SimulationReport report) {
    List<PolicyReport> ps = report.policies();
    double window = report.config().windowSeconds();
    double duration = report.config().workload().durationSeconds();
    double warmup = report.config().workload().warmupSeconds();
    double targetLoad = report.targets().maxMeanLoad();
    double minHit = report.targets().hitRate() * 100;
    double maxLoad = targetLoad;
    double maxNode = targetLoad;
    double minNode = 1;
    List<LineChart.Series> hits = new ArrayList<>();
    List<LineChart.Series> loads = new ArrayList<>();
    List<LineChart.Series> nodes = new ArrayList<>();
    for (int i = 0; i < ps.size(); i++) {
      PolicyReport p = ps.get(i);
      Color color = COLORS[i % COLORS.length];
      List<WindowStats> s = p.series();
      double[] x = new double[s.size()];
      double[] h = new double[s.size()];
      double[] l = new double[s.size()];
      for (int k = 0; k < s.size(); k++) {
        x[k] = s.get(k).startSeconds() + window / 2;
        h[k] = 100 * s.get(k).hitRate();
        l[k] = Math.max(1, s.get(k).maxMeanLoad());
        if (!s.get(k).warmup()) {
          minHit = Math.min(minHit, h[k]);
        }
        maxLoad = Math.max(maxLoad, l[k]);
      }
      hits.add(new LineChart.Series(p.policy(), color, x, h));
      loads.add(new LineChart.Series(p.policy(), color, x, l));
      long[] routed = p.routedPerNode().clone();
      Arrays.sort(routed);
      double mean = Arrays.stream(routed).average().orElse(1);
      double[] rank = new double[routed.length];
      double[] rel = new double[routed.length];
      for (int k = 0; k < routed.length; k++) {
        rank[k] = k + 1;
        rel[k] = Math.max(1e-3, routed[routed.length - 1 - k] / Math.max(1e-9, mean));
        maxNode = Math.max(maxNode, rel[k]);
        minNode = Math.min(minNode, rel[k]);
      }
      nodes.add(new LineChart.Series(p.policy(), color, rank, rel));
    }
    double hitFloor = Math.max(0, Math.floor((minHit - 2) / 5) * 5);
    LineChart hitChart = new LineChart(String.format(Locale.ROOT, "GPU-resident hit rate per %.0f s window", window))
        .xAxis("time (s)", false).yAxis("hit rate (%)", false).xRange(0, duration).yRange(hitFloor, 100)
        .target(report.targets().hitRate() * 100,
            String.format(Locale.ROOT, "target >= %.0f %%", report.targets().hitRate() * 100))
        .shade(0, warmup, "warm-up");
    LineChart loadChart = new LineChart(String.format(Locale.ROOT,
            "Busiest node / mean, requests routed per %.0f s window", window))
        .xAxis("time (s)", false).yAxis("max / mean load", true).xRange(0, duration).yRange(1, maxLoad * 1.3)
        .target(targetLoad, String.format(Locale.ROOT, "target <= %.2f (whole run)", targetLoad))
        .shade(0, warmup, "warm-up");
    LineChart nodeChart = new LineChart(
            "Requests routed to each node / mean (after warm-up), nodes sorted busiest first")
        .xAxis("node rank", false).yAxis("load / mean", true)
        .xRange(1, Math.max(2, ps.getFirst().routedPerNode().length))
        .yRange(Math.max(1e-3, minNode * 0.8), maxNode * 1.3)
        .target(targetLoad, String.format(Locale.ROOT, "target <= %.2f", targetLoad));
    hits.forEach(hitChart::add);
    loads.forEach(loadChart::add);
    nodes.forEach(nodeChart::add);
    return List.of(hitChart, loadChart, nodeChart);
  }
}
