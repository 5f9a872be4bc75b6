package io.lorafleet.actors.simulation;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The simulation report as a PNG (java.awt, headless): three panels, one line per policy. GPU-resident hit
 * rate per window over time; busiest node over the mean (routed requests) per window over time, log scale;
 * and routed requests per node over the mean, nodes sorted from busiest, log scale. Targets are dashed lines,
 * the warm-up is shaded.
 */
public final class ReportChart {
  private static final int WIDTH = 1200;
  private static final int PANEL = 360;
  private static final int TOP = 56;
  private static final int LEFT = 90;
  private static final int RIGHT = 30;
  private static final int PAD_TOP = 34;
  private static final int PAD_BOTTOM = 56;
  private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c)};
  private static final Color TARGET = new Color(0x555555);

  private ReportChart() {}

  /** One line of a panel. */
  private record Series(String name, double[] x, double[] y, Color color) {}

  /** A panel: its title, axes and lines. */
  private record Panel(String title, String xLabel, String yLabel, double xMin, double xMax, double yMin,
      double yMax, boolean logY, double target, String targetLabel, double shadeTo, List<Series> series) {}

  public static void write(SimulationReport report, Path file) throws IOException {
    System.setProperty("java.awt.headless", "true");
    BufferedImage image = render(report);
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      java.nio.file.Files.createDirectories(parent);
    }
    if (!ImageIO.write(image, "png", file.toFile())) {
      throw new IOException("no PNG writer in this JVM");
    }
  }

  static BufferedImage render(SimulationReport report) {
    List<Panel> panels = panels(report);
    int height = TOP + panels.size() * PANEL + 10;
    BufferedImage image = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, WIDTH, height);
      SimulationConfig c = report.config();
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
      g.drawString(String.format(Locale.ROOT, "LoraFleet simulation: %,d nodes x %,d adapters, Zipf(%.2f), %,.0f req/s "
              + "+ bursts, %.0f s, seed %d", c.nodes(), c.workload().adapters(), c.workload().zipfExponent(),
          c.workload().ratePerSecond(), c.workload().durationSeconds(), c.seed()), LEFT, 34);
      for (int i = 0; i < panels.size(); i++) {
        draw(g, panels.get(i), TOP + i * PANEL);
      }
    } finally {
      g.dispose();
    }
    return image;
  }

  private static List<Panel> panels(SimulationReport report) {
    List<PolicyReport> ps = report.policies();
    double window = report.config().windowSeconds();
    double duration = report.config().workload().durationSeconds();
    double warmup = report.config().workload().warmupSeconds();
    List<Series> hits = new ArrayList<>();
    List<Series> loads = new ArrayList<>();
    List<Series> nodes = new ArrayList<>();
    double minHit = report.targets().hitRate() * 100;
    double maxLoad = report.targets().maxMeanLoad();
    double maxNode = report.targets().maxMeanLoad();
    double minNode = 1;
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
      hits.add(new Series(p.policy(), x, h, color));
      loads.add(new Series(p.policy(), x, l, color));
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
      nodes.add(new Series(p.policy(), rank, rel, color));
    }
    double hitFloor = Math.max(0, Math.floor((minHit - 2) / 5) * 5);
    return List.of(
        new Panel(String.format(Locale.ROOT, "GPU-resident hit rate per %.0f s window", window), "time (s)",
            "hit rate (%)", 0, duration, hitFloor, 100, false, report.targets().hitRate() * 100,
            String.format(Locale.ROOT, "target >= %.0f %%", report.targets().hitRate() * 100), warmup, hits),
        new Panel(String.format(Locale.ROOT, "Busiest node / mean, requests routed per %.0f s window", window),
            "time (s)", "max / mean load", 0, duration, 1, maxLoad * 1.3, true, report.targets().maxMeanLoad(),
            String.format(Locale.ROOT, "target <= %.2f (whole run)", report.targets().maxMeanLoad()), warmup,
            loads),
        new Panel("Requests routed to each node / mean (after warm-up), nodes sorted busiest first", "node rank",
            "load / mean", 1, Math.max(2, ps.get(0).routedPerNode().length), Math.max(1e-3, minNode * 0.8),
            maxNode * 1.3, true, report.targets().maxMeanLoad(),
            String.format(Locale.ROOT, "target <= %.2f", report.targets().maxMeanLoad()), 0, nodes));
  }

  private static void draw(Graphics2D g, Panel p, int y0) {
    int x0 = LEFT;
    int w = WIDTH - LEFT - RIGHT;
    int top = y0 + PAD_TOP;
    int h = PANEL - PAD_TOP - PAD_BOTTOM;
    Font small = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    Font label = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    g.setColor(Color.BLACK);
    g.drawString(p.title(), x0, y0 + 22);
    if (p.shadeTo() > p.xMin()) {
      g.setColor(new Color(0xEEEEEE));
      int sx = px(p, p.shadeTo(), x0, w);
      g.fillRect(x0, top, sx - x0, h);
      g.setColor(new Color(0x888888));
      g.setFont(small);
      g.drawString("warm-up", x0 + 4, top + 14);
    }
    // grid and ticks
    g.setFont(small);
    FontMetrics fm = g.getFontMetrics();
    for (double t : p.logY() ? logTicks(p.yMin(), p.yMax()) : linearTicks(p.yMin(), p.yMax())) {
      int y = py(p, t, top, h);
      g.setColor(new Color(0xE0E0E0));
      g.drawLine(x0, y, x0 + w, y);
      g.setColor(Color.BLACK);
      String s = tickLabel(t);
      g.drawString(s, x0 - 6 - fm.stringWidth(s), y + fm.getAscent() / 2 - 1);
    }
    for (double t : linearTicks(p.xMin(), p.xMax())) {
      int x = px(p, t, x0, w);
      g.setColor(new Color(0xE0E0E0));
      g.drawLine(x, top, x, top + h);
      g.setColor(Color.BLACK);
      String s = tickLabel(t);
      g.drawString(s, x - fm.stringWidth(s) / 2, top + h + fm.getAscent() + 4);
    }
    g.setColor(Color.BLACK);
    g.drawRect(x0, top, w, h);
    // axis labels
    g.setFont(label);
    fm = g.getFontMetrics();
    g.drawString(p.xLabel(), x0 + w / 2 - fm.stringWidth(p.xLabel()) / 2, top + h + 38);
    Graphics2D r = (Graphics2D) g.create();
    r.translate(22, top + h / 2 + fm.stringWidth(p.yLabel()) / 2);
    r.rotate(-Math.PI / 2);
    r.drawString(p.yLabel(), 0, 0);
    r.dispose();
    // target
    Stroke plain = g.getStroke();
    if (p.target() >= p.yMin() && p.target() <= p.yMax()) {
      int y = py(p, p.target(), top, h);
      g.setColor(TARGET);
      g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {8, 6}, 0));
      g.drawLine(x0, y, x0 + w, y);
      g.setFont(small);
      int lx = p.shadeTo() > p.xMin() ? px(p, p.shadeTo(), x0, w) + 6 : x0 + 6;
      g.drawString(p.targetLabel(), lx, y - 4);
    }
    // lines, clipped to the plot
    Graphics2D clip = (Graphics2D) g.create();
    clip.clipRect(x0, top, w + 1, h + 1);
    clip.setStroke(new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
    for (Series s : p.series()) {
      Path2D.Double path = new Path2D.Double();
      for (int i = 0; i < s.x().length; i++) {
        double x = pxd(p, s.x()[i], x0, w);
        double y = pyd(p, s.y()[i], top, h);
        if (i == 0) {
          path.moveTo(x, y);
        } else {
          path.lineTo(x, y);
        }
      }
      clip.setColor(s.color());
      clip.draw(path);
      if (s.x().length == 1) {
        clip.fillOval((int) pxd(p, s.x()[0], x0, w) - 3, (int) pyd(p, s.y()[0], top, h) - 3, 6, 6);
      }
    }
    clip.dispose();
    g.setStroke(plain);
    // legend
    g.setFont(label);
    fm = g.getFontMetrics();
    int lw = 0;
    for (Series s : p.series()) {
      lw = Math.max(lw, fm.stringWidth(s.name()));
    }
    int lx = x0 + w - lw - 50;
    int ly = top + 8;
    g.setColor(new Color(255, 255, 255, 230));
    g.fillRect(lx - 8, ly, lw + 52, p.series().size() * 20 + 8);
    g.setColor(new Color(0xAAAAAA));
    g.drawRect(lx - 8, ly, lw + 52, p.series().size() * 20 + 8);
    for (int i = 0; i < p.series().size(); i++) {
      Series s = p.series().get(i);
      int yy = ly + 18 + i * 20;
      g.setColor(s.color());
      g.setStroke(new BasicStroke(3f));
      g.drawLine(lx, yy - 4, lx + 28, yy - 4);
      g.setStroke(plain);
      g.setColor(Color.BLACK);
      g.drawString(s.name(), lx + 36, yy);
    }
  }

  private static int px(Panel p, double x, int x0, int w) {
    return (int) Math.round(pxd(p, x, x0, w));
  }

  private static double pxd(Panel p, double x, int x0, int w) {
    return x0 + (x - p.xMin()) / (p.xMax() - p.xMin()) * w;
  }

  private static int py(Panel p, double y, int top, int h) {
    return (int) Math.round(pyd(p, y, top, h));
  }

  private static double pyd(Panel p, double y, int top, int h) {
    double f = p.logY() ? (Math.log(Math.max(y, 1e-12)) - Math.log(p.yMin())) / (Math.log(p.yMax()) - Math.log(p.yMin()))
        : (y - p.yMin()) / (p.yMax() - p.yMin());
    return top + h - f * h;
  }

  /** Ticks at 1, 2 or 5 times a power of ten, about six of them. */
  static List<Double> linearTicks(double min, double max) {
    double range = max - min;
    List<Double> out = new ArrayList<>();
    if (!(range > 0)) {
      out.add(min);
      return out;
    }
    double raw = range / 6;
    double mag = Math.pow(10, Math.floor(Math.log10(raw)));
    double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
    for (double t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) {
      out.add(Math.abs(t) < step * 1e-9 ? 0 : t);
    }
    return out;
  }

  /** Ticks at 1, 2 and 5 times powers of ten (and 1.25, 1.5 when the range is narrow). */
  static List<Double> logTicks(double min, double max) {
    List<Double> out = new ArrayList<>();
    boolean narrow = max / min < 20;
    double[] steps = narrow ? new double[] {1, 1.25, 1.5, 2, 3, 5} : new double[] {1, 2, 5};
    for (double mag = Math.pow(10, Math.floor(Math.log10(min))); mag <= max; mag *= 10) {
      for (double s : steps) {
        double t = s * mag;
        if (t >= min * 0.999 && t <= max * 1.001) {
          out.add(t);
        }
      }
    }
    return out;
  }

  private static String tickLabel(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e9) {
      return String.format(Locale.ROOT, "%,d", (long) v);
    }
    if (Math.abs(v) >= 0.1) {
      return String.format(Locale.ROOT, "%.2f", v).replaceAll("0+$", "").replaceAll("\\.$", "");
    }
    return String.format(Locale.ROOT, "%.3g", v);
  }
}
