package io.lorafleet.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PNG chart: a valid PNG that ImageIO reads back pixel for pixel, with every line drawn. */
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
  void pngReadsBackAsTheCanvas(@TempDir Path dir) throws IOException {
    Canvas canvas = chart().draw();
    Path file = dir.resolve("chart.png");
    PngEncoder.write(canvas, file);
    BufferedImage img = ImageIO.read(file.toFile());
    assertNotNull(img, "ImageIO recognizes the file as an image");
    assertEquals(LatencyChart.WIDTH, img.getWidth());
    assertEquals(LatencyChart.HEIGHT, img.getHeight());
    for (int y = 0; y < img.getHeight(); y += 7) {
      for (int x = 0; x < img.getWidth(); x += 5) {
        assertEquals(canvas.get(x, y), img.getRGB(x, y) & 0xffffff, "pixel " + x + "," + y);
      }
    }
    assertTrue(count(img, ENGINE) > 500, "the engine's line and markers are drawn");
    assertTrue(count(img, PEER) > 500, "the peer's line and markers are drawn");
    byte[] head = Files.readAllBytes(file);
    assertEquals((byte) 0x89, head[0]);
    assertEquals('P', head[1]);
  }

  @Test
  void anEmptyChartIsStillAPicture() throws IOException {
    LatencyChart empty = new LatencyChart("t", "s", List.of(new LatencyChart.Series("x", 0xff0000, List.of())));
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(PngEncoder.encode(empty.draw())));
    assertEquals(LatencyChart.WIDTH, img.getWidth());
  }

  @Test
  void fontCoversTheReportsText() {
    String used = "P50 LATENCY VS NUMBER OF ADAPTERS ONE RUN, NVIDIA H100 80GB HBM3; REQUESTS OF A 70-TOKEN PROMPT AND "
        + "10 NEW TOKENS, ONE AT A TIME; 2026-01-01T12:00 ADAPTERS THE REQUESTS DRAW FROM (LOG SCALE) P50 LATENCY, MS "
        + "LORAFLEET ENGINE HTTP HF PEFT (NO DATA) 0123456789 .%+/=_<>[]'*?!:";
    for (char c : used.toCharArray()) {
      assertTrue(PixelFont.covers(c), "no glyph for '" + c + "'");
    }
    assertEquals(PixelFont.glyph('a'), PixelFont.glyph('A'));
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
