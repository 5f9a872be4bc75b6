package io.lorafleet.runtime.backend.cpu;

/**
 * The input rows of a product as {@link PanelKernels} reads them: cut into register tiles (12 rows while
 * 12 remain, then 4, then single rows) and, for tiles of 12 and 4, copied k-row by k-row ({@code
 * packed[base + k * tile + r]}) so that a tile's broadcasts all read from one base address. Single rows are
 * read in place. Packed once per product and shared by every thread and every matrix that takes the same
 * input (q, k and v; gate and up).
 */
public final class InputRows {
  final float[] x;
  final int xOff;
  final int xStride;
  final int rows;
  final int cols;
  /** Rows in tiles of 12 and of 4. */
  final int rows12;
  final int rows4;
  /** Null when nothing is packed (no tile of 4 or more, or the portable kernels). */
  final float[] packed;

  private InputRows(float[] x, int xOff, int xStride, int rows, int cols, float[] packed, int rows12, int rows4) {
    this.x = x;
    this.xOff = xOff;
    this.xStride = xStride;
    this.rows = rows;
    this.cols = cols;
    this.packed = packed;
    this.rows12 = rows12;
    this.rows4 = rows4;
  }

  /** Rows {@code x[xOff + t * xStride .. + cols)}, {@code t < rows}, not yet packed; see {@link #pack}. */
  public static InputRows of(float[] x, int xOff, int xStride, int rows, int cols, float[] buffer) {
    int rows12 = PanelKernels.WIDE ? rows / 12 * 12 : 0;
    int rows4 = PanelKernels.WIDE ? (rows - rows12) / 4 * 4 : 0;
    int n = (rows12 + rows4) * cols;
    float[] packed = n == 0 ? null : buffer != null && buffer.length >= n ? buffer : new float[n];
    return new InputRows(x, xOff, xStride, rows, cols, packed, rows12, rows4);
  }

  /** Rows {@code x[xOff + t * xStride ..]}, packed on the calling thread (tests, small products). */
  public static InputRows packed(float[] x, int xOff, int xStride, int rows, int cols) {
    InputRows r = of(x, xOff, xStride, rows, cols, null);
    r.pack(0, r.packedTiles());
    return r;
  }

  /** Packed tiles, to split {@link #pack} between threads. */
  public int packedTiles() {
    return rows12 / 12 + rows4 / 4;
  }

  /** The packed buffer (to reuse for the next product). */
  public float[] buffer() {
    return packed;
  }

  public int rows() {
    return rows;
  }

  /** Packs tiles {@code [from, to)} (tiles of 12 first, then of 4). */
  public void pack(int from, int to) {
    int tiles12 = rows12 / 12;
    for (int i = from; i < to; i++) {
      int tile = i < tiles12 ? 12 : 4;
      int row = i < tiles12 ? 12 * i : rows12 + 4 * (i - tiles12);
      int base = row * cols;
      for (int r = 0; r < tile; r++) {
        int src = xOff + (row + r) * xStride;
        for (int k = 0, d = base + r; k < cols; k++, d += tile) {
          packed[d] = x[src + k];
        }
      }
    }
  }

  /** Register tile size at row {@code t}. */
  int tileAt(int t) {
    return t < rows12 ? 12 : t < rows12 + rows4 ? 4 : 1;
  }
}
