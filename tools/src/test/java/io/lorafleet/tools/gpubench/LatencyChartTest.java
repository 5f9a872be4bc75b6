package io.lorafleet.tools.gpubench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PNG chart: a PNG that ImageIO reads back, of the chart's size, with every line drawn in its colour. */
class LatencyChartTest {
  private static final int ENGINE = 0x1f5fbf;
  private static final int PEER = 0xd9531e;

  private static LatencyChart chart() {
    return new LatencyChart("p50 latency vs number of adapters", "a test; with: every (glyph) 1/2 = 50% <ok> [x]_",
        List.of(
            new LatencyChart.Series("LoraFleet engine", ENGINE, List.of(new LatencyChart.Point(1, 12.5),
                new LatencyChart.Point(10, 12.9), new LatencyChart.Point(100, 13.4), new LatencyChart.Point(1000, 14))),
            new LatencyChart.Series("LoraFleet HTTP", 0x2e9e44, List.of()),
            new LatencyChart.Series("HF PEFT", PEER, List.of(new LatencyChart.Point(1, 380),
                new LatencyChart.Point(100, 430), new LatencyChart.Point(1000, 455)))));
  }

  private static int count(BufferedImage img, int rgb) {
    int n = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        if ((img.getRGB(x, y) & 0xffffff) == rgb) {
          n++;
        }
      }
    }
    return n;
  }

  @Test
  void thePngHasEveryLine(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("chart.png");
    chart().write(file);
    BufferedImage img = ImageIO.read(file.toFile());
    assertNotNull(img, "ImageIO recognizes the file as an image");
    assertEquals(LatencyChart.WIDTH, img.getWidth());
    assertEquals(LatencyChart.HEIGHT, img.getHeight());
    assertTrue(count(img, ENGINE) > 300, "the engine's line and markers are drawn");
    assertTrue(count(img, PEER) > 300, "the peer's line and markers are drawn");
  }

  @Test
  void theLatencyAxisIsLogarithmicOnlyForAWideSpread() {
    assertTrue(chart().lineChart().chart().getXYPlot().getRangeAxis() instanceof org.jfree.chart.axis.LogarithmicAxis);
    LatencyChart narrow = new LatencyChart("t", "s", List.of(new LatencyChart.Series("x", 0xff0000,
        List.of(new LatencyChart.Point(1, 10), new LatencyChart.Point(100, 12)))));
    assertTrue(narrow.lineChart().chart().getXYPlot().getRangeAxis() instanceof org.jfree.chart.axis.NumberAxis);
  }

  @Test
  void anEmptyChartIsStillAPicture(@TempDir Path dir) throws IOException {
    LatencyChart empty = new LatencyChart("t", "s", List.of(new LatencyChart.Series("x", 0xff0000, List.of())));
    Path file = dir.resolve("empty.png");
    empty.write(file);
    assertEquals(LatencyChart.WIDTH, ImageIO.read(file.toFile()).getWidth());
  }

  @Test
  void labelsAreCompact() {
    assertEquals("12.5", LatencyChart.label(12.5));
    assertEquals("430", LatencyChart.label(430.2));
    assertEquals("1", LatencyChart.label(1));
    assertEquals("0.25", LatencyChart.label(0.25));
    assertEquals("30", LatencyChart.label(30));
    assertEquals("1.3", LatencyChart.label(1.3));
  }
}
