package io.lorafleet.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The chart of the run: p50 request latency against the number of adapters the requests draw from, one
 * line per system, both axes logarithmic when the values span more than a factor of eight (else the
 * latency axis is linear from zero), drawn on a {@link Canvas} and written as PNG.
 */
final class LatencyChart {
  static final int WIDTH = 960;
  static final int HEIGHT = 600;
  private static final int LEFT = 100;
  private static final int RIGHT = WIDTH - 40;
  private static final int TOP = 110;
  private static final int BOTTOM = HEIGHT - 80;
  private static final int BLACK = 0x000000;
  private static final int GRID = 0xdddddd;
  private static final int GREY = 0x555555;

  /** One value: {@code adapters} on the x axis, {@code millis} on the y axis. */
  record Point(int adapters, double millis) {}

  /** One line of the chart. */
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
    PngEncoder.write(draw(), file);
  }

  Canvas draw() {
    Canvas c = new Canvas(WIDTH, HEIGHT, 0xffffff);
    c.text(LEFT, 16, title, 2, BLACK);
    c.text(LEFT, 40, subtitle, 1, GREY);
    drawLegend(c);
    List<Point> all = series.stream().flatMap(s -> s.points().stream()).filter(p -> p.millis() > 0 && p.adapters() > 0)
        .toList();
    if (all.isEmpty()) {
      c.text(LEFT, (TOP + BOTTOM) / 2, "no latency figures in this run", 2, GREY);
      return c;
    }
    double minX = all.stream().mapToInt(Point::adapters).min().orElseThrow();
    double maxX = all.stream().mapToInt(Point::adapters).max().orElseThrow();
    double lx0 = Math.floor(Math.log10(minX));
    double lx1 = Math.max(Math.ceil(Math.log10(maxX)), lx0 + 1);
    double minY = all.stream().mapToDouble(Point::millis).min().orElseThrow();
    double maxY = all.stream().mapToDouble(Point::millis).max().orElseThrow();
    boolean logY = maxY / minY > 8;
    Axis y = logY ? Axis.log(minY, maxY) : Axis.linear(maxY);

    // grid and ticks
    for (double d = lx0; d <= lx1 + 1e-9; d++) {
      int px = xPixel(Math.pow(10, d), lx0, lx1);
      c.line(px, TOP, px, BOTTOM, 1, GRID);
      String label = label(Math.pow(10, d));
      c.text(px - PixelFont.width(label, 2) / 2, BOTTOM + 10, label, 2, BLACK);
    }
    for (double v : y.ticks()) {
      int py = y.pixel(v);
      c.line(LEFT, py, RIGHT, py, 1, GRID);
      String label = label(v);
      c.text(LEFT - 10 - PixelFont.width(label, 2), py - 7, label, 2, BLACK);
    }
    c.line(LEFT, TOP, LEFT, BOTTOM, 2, BLACK);
    c.line(LEFT, BOTTOM, RIGHT, BOTTOM, 2, BLACK);
    String xTitle = "adapters the requests draw from (log scale)";
    c.text((LEFT + RIGHT - PixelFont.width(xTitle, 2)) / 2, BOTTOM + 40, xTitle, 2, BLACK);
    c.text(10, TOP - 26, "p50 latency, ms" + (logY ? " (log scale)" : ""), 2, BLACK);

    for (Series s : series) {
      List<Point> pts = new ArrayList<>(s.points().stream().filter(p -> p.millis() > 0 && p.adapters() > 0).toList());
      pts.sort(java.util.Comparator.comparingInt(Point::adapters));
      for (int i = 1; i < pts.size(); i++) {
        c.line(xPixel(pts.get(i - 1).adapters(), lx0, lx1), y.pixel(pts.get(i - 1).millis()),
            xPixel(pts.get(i).adapters(), lx0, lx1), y.pixel(pts.get(i).millis()), 3, s.color());
      }
      for (Point p : pts) {
        int px = xPixel(p.adapters(), lx0, lx1);
        int py = y.pixel(p.millis());
        c.fillRect(px - 5, py - 5, 11, 11, s.color());
        String v = label(p.millis());
        c.text(px + 9, py - 18, v, 1, s.color());
      }
    }

    return c;
  }

  /** One row above the plot: a colour square and the name of each series. */
  private void drawLegend(Canvas c) {
    int x = LEFT;
    int y = 58;
    for (Series s : series) {
      c.fillRect(x, y + 1, 16, 12, s.color());
      c.text(x + 24, y, legend(s), 2, BLACK);
      x += 24 + PixelFont.width(legend(s), 2) + 30;
    }
  }

  private static String legend(Series s) {
    return s.name() + (s.points().isEmpty() ? " (no data)" : "");
  }

  private static int xPixel(double x, double lx0, double lx1) {
    return (int) Math.round(LEFT + (Math.log10(x) - lx0) / (lx1 - lx0) * (RIGHT - LEFT));
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

  /** The latency axis: value to pixel, and where its ticks go. */
  private record Axis(boolean log, double lo, double hi) {
    static Axis log(double min, double max) {
      return new Axis(true, Math.floor(Math.log10(min)), Math.ceil(Math.log10(max)));
    }

    static Axis linear(double max) {
      double step = niceStep(max / 5);
      return new Axis(false, 0, Math.ceil(max / step) * step);
    }

    int pixel(double v) {
      double f = log ? (Math.log10(v) - lo) / (hi - lo) : (v - lo) / (hi - lo);
      return (int) Math.round(BOTTOM - f * (BOTTOM - TOP));
    }

    List<Double> ticks() {
      List<Double> t = new ArrayList<>();
      if (log) {
        for (double d = lo; d <= hi + 1e-9; d++) {
          for (int m : new int[] {1, 2, 5}) {
            double v = m * Math.pow(10, d);
            if (Math.log10(v) <= hi + 1e-9) {
              t.add(v);
            }
          }
        }
      } else {
        double step = niceStep(hi / 5);
        for (double v = 0; v <= hi + step / 2; v += step) {
          t.add(v);
        }
      }
      return t;
    }

    private static double niceStep(double raw) {
      double p = Math.pow(10, Math.floor(Math.log10(raw)));
      double f = raw / p;
      return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
    }
  }
}
