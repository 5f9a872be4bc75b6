package io.lorafleet.tools.gpubench;

import io.lorafleet.tools.report.LineChart;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The chart of the run: p50 request latency against the number of adapters the requests draw from, one
 * line per system, the adapter axis logarithmic, the latency axis logarithmic when the values span more
 * than a factor of eight (else linear from zero), each point labelled with its value; a {@link LineChart}
 * written as PNG.
 */
final class LatencyChart {
  static final int WIDTH = 960;
  static final int HEIGHT = 600;

  /** One value: {@code adapters} on the x axis, {@code millis} on the y axis. */
  record Point(int adapters, double millis) {}

  /** One line of the chart ({@code color} as 0xRRGGBB). */
  record Series(String name, int color, List<Point> points) {
    Series {
      points = List.copyOf(points);
    }
  }

  private final String title;
  private final String subtitle;
  private final List<Series> series;

  LatencyChart(String title, String subtitle, List<Series> series) {
    this.title = title;
    this.subtitle = subtitle;
    this.series = List.copyOf(series);
  }

  void write(Path file) throws IOException {
    LineChart.writePng(file, null, WIDTH, HEIGHT, List.of(lineChart()));
  }

  LineChart lineChart() {
    List<Point> all = series.stream().flatMap(s -> s.points().stream()).filter(p -> p.millis() > 0 && p.adapters() > 0)
        .toList();
    double minY = all.stream().mapToDouble(Point::millis).min().orElse(1);
    double maxY = all.stream().mapToDouble(Point::millis).max().orElse(1);
    boolean logY = maxY / minY > 8;
    LineChart chart = new LineChart(title).subtitle(all.isEmpty() ? subtitle + " (no latency figures in this run)"
            : subtitle)
        .xAxis("adapters the requests draw from (log scale)", true)
        .yAxis("p50 latency, ms" + (logY ? " (log scale)" : ""), logY)
        .pointLabels(true);
    for (Series s : series) {
      List<Point> pts = s.points().stream().filter(p -> p.millis() > 0 && p.adapters() > 0)
          .sorted(Comparator.comparingInt(Point::adapters)).toList();
      chart.add(new LineChart.Series(s.name(), new Color(s.color()),
          pts.stream().mapToDouble(Point::adapters).toArray(), pts.stream().mapToDouble(Point::millis).toArray()));
    }
    return chart;
  }

  /** Compact number: no trailing zeros, at most three significant digits below 100. */
  static String label(double v) {
    if (v >= 100) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    String s = String.format(Locale.ROOT, v >= 10 ? "%.1f" : v >= 1 ? "%.2f" : "%.3f", v);
    if (s.contains(".")) {
      s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
    }
    return s;
  }
}
