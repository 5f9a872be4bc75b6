package io.lorafleet.bench;

/** An RGB raster with the few drawing operations the charts use: rectangles, thick lines and pixel text. */
final class Canvas {
  private final int width;
  private final int height;
  private final int[] rgb;

  Canvas(int width, int height, int background) {
    if (width < 1 || height < 1) {
      throw new IllegalArgumentException("empty canvas");
    }
    this.width = width;
    this.height = height;
    this.rgb = new int[width * height];
    java.util.Arrays.fill(rgb, background & 0xffffff);
  }

  int width() {
    return width;
  }

  int height() {
    return height;
  }

  /** The colour at (x, y) as 0xRRGGBB. */
  int get(int x, int y) {
    return rgb[y * width + x];
  }

  void set(int x, int y, int color) {
    if (x >= 0 && y >= 0 && x < width && y < height) {
      rgb[y * width + x] = color & 0xffffff;
    }
  }

  void fillRect(int x, int y, int w, int h, int color) {
    for (int j = Math.max(0, y); j < Math.min(height, y + h); j++) {
      for (int i = Math.max(0, x); i < Math.min(width, x + w); i++) {
        rgb[j * width + i] = color & 0xffffff;
      }
    }
  }

  /** The outline of a rectangle, one pixel wide. */
  void rect(int x, int y, int w, int h, int color) {
    line(x, y, x + w - 1, y, 1, color);
    line(x, y + h - 1, x + w - 1, y + h - 1, 1, color);
    line(x, y, x, y + h - 1, 1, color);
    line(x + w - 1, y, x + w - 1, y + h - 1, 1, color);
  }

  /** A line of {@code thickness} pixels (Bresenham, stamped with a square). */
  void line(int x0, int y0, int x1, int y1, int thickness, int color) {
    int dx = Math.abs(x1 - x0);
    int dy = -Math.abs(y1 - y0);
    int sx = x0 < x1 ? 1 : -1;
    int sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    int half = (thickness - 1) / 2;
    int x = x0;
    int y = y0;
    while (true) {
      fillRect(x - half, y - half, thickness, thickness, color);
      if (x == x1 && y == y1) {
        return;
      }
      int e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y += sy;
      }
    }
  }

  /** Text with its top-left corner at (x, y), each font pixel drawn as a {@code scale} x {@code scale} square. */
  void text(int x, int y, String text, int scale, int color) {
    for (int i = 0; i < text.length(); i++) {
      boolean[][] g = PixelFont.glyph(text.charAt(i));
      int gx = x + i * PixelFont.ADVANCE * scale;
      for (int row = 0; row < PixelFont.HEIGHT; row++) {
        for (int col = 0; col < PixelFont.WIDTH; col++) {
          if (g[row][col]) {
            fillRect(gx + col * scale, y + row * scale, scale, scale, color);
          }
        }
      }
    }
  }

  /** Packed rows of RGB bytes, top to bottom. */
  byte[] rgbRow(int y) {
    byte[] row = new byte[width * 3];
    for (int x = 0; x < width; x++) {
      int c = rgb[y * width + x];
      row[3 * x] = (byte) (c >>> 16);
      row[3 * x + 1] = (byte) (c >>> 8);
      row[3 * x + 2] = (byte) c;
    }
    return row;
  }
}
