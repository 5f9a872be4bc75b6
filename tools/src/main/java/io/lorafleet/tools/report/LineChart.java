package io.lorafleet.tools.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.labels.StandardXYItemLabelGenerator;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The one chart kind of the tools, drawn by JFreeChart: lines of (x, y) points, one per series, on linear or
 * logarithmic axes, with optional dashed target lines, a shaded x interval (a warm-up) and value labels at
 * the points. {@link #writePng} puts one or more charts under each other in one PNG (headless AWT: the JVM
 * needs fonts, which every Linux machine with fontconfig fonts has; {@code ops/gpu/README.md} says what to do
 * where there are none).
 */
public final class LineChart {
  /** One line: its name in the legend, its colour and its points ({@code x.length == y.length}). */
  public record Series(String name, Color color, double[] x, double[] y) {
    public Series {
      if (x.length != y.length) {
        throw new IllegalArgumentException("series " + name + ": " + x.length + " x values, " + y.length + " y values");
      }
    }
  }

  private record Target(double y, String label) {}

  private final String title;
  private String subtitle;
  private String xLabel = "";
  private String yLabel = "";
  private boolean logX;
  private boolean logY;
  private double[] xRange;
  private double[] yRange;
  private boolean pointLabels;
  private double shadeFrom = Double.NaN;
  private double shadeTo = Double.NaN;
  private String shadeLabel;
  private final List<Target> targets = new ArrayList<>();
  private final List<Series> series = new ArrayList<>();

  public LineChart(String title) {
    this.title = title;
  }

  public LineChart subtitle(String text) {
    this.subtitle = text;
    return this;
  }

  public LineChart xAxis(String label, boolean log) {
    this.xLabel = label;
    this.logX = log;
    return this;
  }

  public LineChart yAxis(String label, boolean log) {
    this.yLabel = label;
    this.logY = log;
    return this;
  }

  /** Fixes the x axis to [lo, hi] (otherwise it fits the data). */
  public LineChart xRange(double lo, double hi) {
    this.xRange = new double[] {lo, hi};
    return this;
  }

  /** Fixes the y axis to [lo, hi] (otherwise it fits the data; a linear axis then starts at 0). */
  public LineChart yRange(double lo, double hi) {
    this.yRange = new double[] {lo, hi};
    return this;
  }

  /** Writes each point's y value next to it. */
  public LineChart pointLabels(boolean on) {
    this.pointLabels = on;
    return this;
  }

  /** A dashed horizontal line at {@code y}, labelled. */
  public LineChart target(double y, String label) {
    targets.add(new Target(y, label));
    return this;
  }

  /** Shades x from {@code from} to {@code to}, labelled (e.g. a warm-up). */
  public LineChart shade(double from, double to, String label) {
    this.shadeFrom = from;
    this.shadeTo = to;
    this.shadeLabel = label;
    return this;
  }

  public LineChart add(Series s) {
    series.add(s);
    return this;
  }

  public List<Series> series() {
    return List.copyOf(series);
  }

  /** The JFreeChart of this description. */
  public JFreeChart chart() {
    XYSeriesCollection data = new XYSeriesCollection();
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, pointLabels);
    int i = 0;
    for (Series s : series) {
      XYSeries xy = new XYSeries(s.name() + (s.x().length == 0 ? " (no data)" : ""), false, true);
      for (int k = 0; k < s.x().length; k++) {
        if ((!logX || s.x()[k] > 0) && (!logY || s.y()[k] > 0)) {
          xy.add(s.x()[k], s.y()[k]);
        }
      }
      data.addSeries(xy);
      renderer.setSeriesPaint(i, s.color());
      renderer.setSeriesStroke(i, new BasicStroke(pointLabels ? 3f : 2f, BasicStroke.CAP_ROUND,
          BasicStroke.JOIN_ROUND));
      renderer.setSeriesShapesVisible(i, pointLabels || s.x().length == 1);
      if (pointLabels) {
        renderer.setSeriesItemLabelGenerator(i, new StandardXYItemLabelGenerator("{2}", new DecimalFormat("0.###",
            DecimalFormatSymbols.getInstance(Locale.ROOT)), compactFormat()));
        renderer.setSeriesItemLabelsVisible(i, true);
        renderer.setSeriesItemLabelPaint(i, s.color());
      }
      i++;
    }
    XYPlot plot = new XYPlot(data, axis(xLabel, logX, xRange, false), axis(yLabel, logY, yRange, true), renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(0xDDDDDD));
    plot.setRangeGridlinePaint(new Color(0xDDDDDD));
    if (!Double.isNaN(shadeFrom)) {
      IntervalMarker shade = new IntervalMarker(shadeFrom, shadeTo, new Color(0xEEEEEE));
      shade.setLabel(shadeLabel);
      shade.setLabelAnchor(RectangleAnchor.TOP_LEFT);
      shade.setLabelTextAnchor(TextAnchor.TOP_LEFT);
      shade.setLabelPaint(new Color(0x888888));
      plot.addDomainMarker(shade, Layer.BACKGROUND);
    }
    for (Target t : targets) {
      ValueMarker m = new ValueMarker(t.y(), new Color(0x555555), new BasicStroke(1.5f, BasicStroke.CAP_BUTT,
          BasicStroke.JOIN_MITER, 10, new float[] {8, 6}, 0));
      m.setLabel(t.label());
      m.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
      m.setLabelTextAnchor(TextAnchor.BOTTOM_RIGHT);
      m.setLabelPaint(new Color(0x555555));
      plot.addRangeMarker(m);
    }
    JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 16), plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    if (subtitle != null) {
      chart.addSubtitle(new TextTitle(subtitle, new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
    }
    return chart;
  }

  private static ValueAxis axis(String label, boolean log, double[] range, boolean fromZero) {
    ValueAxis axis;
    if (log) {
      LogarithmicAxis a = new LogarithmicAxis(label);
      a.setStrictValuesFlag(false);
      a.setNumberFormatOverride(compactFormat());
      axis = a;
    } else {
      NumberAxis a = new NumberAxis(label);
      a.setAutoRangeIncludesZero(fromZero);
      a.setNumberFormatOverride(compactFormat());
      axis = a;
    }
    if (range != null) {
      axis.setRange(range[0], range[1]);
    }
    return axis;
  }

  private static DecimalFormat compactFormat() {
    return new DecimalFormat("#,##0.###", DecimalFormatSymbols.getInstance(Locale.ROOT));
  }

  /**
   * Writes {@code charts} under each other into one PNG of {@code width} pixels, {@code chartHeight} per chart,
   * under a heading (null: none).
   */
  public static void writePng(Path file, String heading, int width, int chartHeight, List<LineChart> charts)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    int top = heading == null ? 0 : 44;
    int height = top + chartHeight * charts.size();
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, width, height);
      if (heading != null) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        g.drawString(heading, 16, 30);
      }
      for (int i = 0; i < charts.size(); i++) {
        charts.get(i).chart().draw(g, new Rectangle2D.Double(0, top + i * chartHeight, width, chartHeight),
            new ChartRenderingInfo());
      }
    } finally {
      g.dispose();
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    if (!ImageIO.write(image, "png", file.toFile())) {
      throw new IOException("no PNG writer in this JVM");
    }
  }
}
