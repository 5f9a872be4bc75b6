package io.lorafleet.runtime.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix products over {@link PackedLinear} weights: {@code y[t][o] = sum_k x[t][k] * W[o][k]}.
 *
 * <p>Arithmetic: every output is one chain of fused multiply-adds over {@code k = 0, 1, ..., cols - 1} in
 * order, starting from zero ({@code acc = fma(w[o][k], x[k], acc)}); with {@code accumulate} the chain's
 * result is then added to the old {@code y}. Vectors run across output features, never across {@code k},
 * so the result does not depend on the vector width, on how many input rows share a call, on how the
 * outputs are split between threads or on the k-blocking (partial chains are stored as floats and
 * reloaded, which is exact): a row gets the same bits alone, in any batch, chunked or not.
 *
 * <p>Speed: a panel's k-rows are read front to back; for many input rows the panel is walked in blocks of
 * {@link #KC} k-rows (32 KiB, which stay in L1) while register tiles of 12, 4 or 1 input rows pass over
 * them: a 12-row tile keeps 24 accumulators in registers and spends one load and two integer ops per 24
 * FMAs on the weights (BLIS-style, with the bf16 panel packed once at load time instead of per call); the
 * tile's rows are first copied k-row by k-row into a small buffer, so its twelve broadcasts per k read one
 * base address. On machines without 512-bit vectors a portable 128-bit loop computes the same chains.
 *
 * <p>Int8 panels (weight-only int8): each k-row's 32 codes widen in registers to two float vectors (sign
 * extension and int-to-float conversion, exact), the chain is the same FMA chain over {@code k}, and each
 * output's chain is multiplied by its scale once, after the last k-block: {@code y[o] = scale[o] * fma-chain(
 * q[o][k], x[k])}. The same tiles (12, 4 or 1 rows) serve the GEMV and the GEMM, so a row's result is
 * still bit-identical alone or in any batch. The panel is not widened into a float buffer first: a KC-block
 * of int8 panel is 16 KiB and stays in L1 with the tile's input rows, where a widened copy would be 64 KiB.
 */
public final class PanelKernels {
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
  private static final VectorSpecies<Float> F4 = FloatVector.SPECIES_128;
  private static final VectorSpecies<Integer> I4 = IntVector.SPECIES_128;
  private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
  private static final int HI = 0xffff0000;
  /** Whether the 512-bit kernels run natively here. */
  static final boolean WIDE = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
  /** K-rows per block when several input rows share a panel. */
  static final int KC = 512;
  /** Panels a row tile visits before the next tile (several input rows). */
  static final int PANEL_GROUP = 8;

  private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

  private PanelKernels() {}

  /**
   * {@code y[yOff + t*yStride + o] (+)= W[o] . x[xOff + t*xStride ..]} for rows {@code t < rows} and the
   * output features of panels {@code [p0, p1)} (packs the rows itself: for one-off products and tests).
   */
  public static void matmul(PackedLinear w, float[] x, int xOff, int xStride, int rows,
      float[] y, int yOff, int yStride, int p0, int p1, boolean accumulate) {
    matmul(w, InputRows.packed(x, xOff, xStride, rows, w.cols()), y, yOff, yStride, p0, p1, accumulate, WIDE);
  }

  /** As above over rows packed beforehand (once for every thread and every matrix that takes them). */
  public static void matmul(PackedLinear w, InputRows in, float[] y, int yOff, int yStride, int p0, int p1,
      boolean accumulate) {
    matmul(w, in, y, yOff, yStride, p0, p1, accumulate, WIDE);
  }

  /** As above; {@code wide} false forces the portable loop (tests compare the two). */
  static void matmul(PackedLinear w, InputRows in, float[] y, int yOff, int yStride, int p0, int p1,
      boolean accumulate, boolean wide) {
    int rows = in.rows;
    if (rows <= 0 || p0 >= p1) {
      return;
    }
    int cols = w.cols();
    if (in.cols != cols) {
      throw new IllegalArgumentException(w.name() + " takes " + cols + " inputs, not " + in.cols);
    }
    int kc = rows == 1 ? cols : KC;
    int group = rows == 1 ? 1 : PANEL_GROUP;
    int panelFloats = rows * PackedLinear.PANEL;
    float[] scratch = null;
    for (int g0 = p0; g0 < p1; g0 += group) {
      int g1 = Math.min(p1, g0 + group);
      // Where each panel's chains go: straight into y, or (to be added to y, or for a partial last panel)
      // into scratch first.
      boolean anyScratch = false;
      for (int p = g0; p < g1; p++) {
        anyScratch |= !direct(w, p, accumulate);
      }
      if (anyScratch && scratch == null) {
        scratch = scratch(group * panelFloats);
      }
      for (int k0 = 0; k0 < cols; k0 += kc) {
        int k1 = Math.min(cols, k0 + kc);
        boolean load = k0 > 0;
        // Row tiles outside, panels inside: a tile's slice of the input stays in L1 across the group's
        // panels, whose k-slices stay in L2.
        for (int t = 0; t < rows; ) {
          int tile = wide ? in.tileAt(t) : 1;
          for (int p = g0; p < g1; p++) {
            boolean direct = direct(w, p, accumulate);
            float[] c = direct ? y : scratch;
            int cOff = direct ? yOff + p * PackedLinear.PANEL + t * yStride : (p - g0) * panelFloats + t * PackedLinear.PANEL;
            int cStride = direct ? yStride : PackedLinear.PANEL;
            tile(w, p, tile, wide, in, t, k0, k1, c, cOff, cStride, load);
          }
          t += tile;
        }
      }
      for (int p = g0; p < g1; p++) {
        if (direct(w, p, accumulate)) {
          continue;
        }
        int o0 = p * PackedLinear.PANEL;
        int width = Math.min(PackedLinear.PANEL, w.rows() - o0);
        for (int t = 0; t < rows; t++) {
          int yo = yOff + t * yStride + o0;
          int so = (p - g0) * panelFloats + t * PackedLinear.PANEL;
          for (int j = 0; j < width; j++) {
            y[yo + j] = accumulate ? y[yo + j] + scratch[so + j] : scratch[so + j];
          }
        }
      }
    }
  }

  /** Whether panel {@code p}'s chains can be stored straight into the output. */
  private static boolean direct(PackedLinear w, int p, boolean accumulate) {
    return !accumulate && (p + 1) * PackedLinear.PANEL <= w.rows();
  }

  /**
   * One register tile: {@code tile} (12, 4 or 1) input rows from row {@code t} against panel {@code p} over
   * k-rows {@code [k0, k1)}.
   */
  private static void tile(PackedLinear w, int p, int tile, boolean wide, InputRows in, int t, int k0, int k1,
      float[] c, int co, int cs, boolean load) {
    MemorySegment seg = w.data();
    long wOff = p * w.panelBytes();
    PackedLinear.Format format = w.format();
    boolean bf16 = format == PackedLinear.Format.BF16;
    int xo = in.xOff + t * in.xStride;
    // A packed tile's k-block starts at row t's packed offset plus k0 k-rows of the tile's width.
    int xp = t * in.cols + k0 * tile;
    if (w.format() == PackedLinear.Format.INT8) {
      float[] sc = w.scales();
      int so = p * PackedLinear.PANEL;
      boolean last = k1 == w.cols();
      if (!wide) {
        int8Portable(seg, wOff, in.x, xo, k0, k1, c, co, load, sc, so, last);
        return;
      }
      switch (tile) {
        case 12 -> int8Rows12(seg, wOff, in.packed, xp, k0, k1, c, co, cs, load, sc, so, last);
        case 4 -> int8Rows4(seg, wOff, in.packed, xp, k0, k1, c, co, cs, load, sc, so, last);
        default -> int8Row(seg, wOff, in.x, xo, k0, k1, c, co, load, sc, so, last);
      }
      return;
    }
    if (!wide) {
      portable(seg, wOff, format, in.x, xo, k0, k1, c, co, load);
    } else if (bf16) {
      switch (tile) {
        case 12 -> bf16Rows12(seg, wOff, in.packed, xp, k0, k1, c, co, cs, load);
        case 4 -> bf16Rows4(seg, wOff, in.packed, xp, k0, k1, c, co, cs, load);
        default -> bf16Row(seg, wOff, in.x, xo, k0, k1, c, co, load);
      }
    } else if (format == PackedLinear.Format.BF16_PAIRS) {
      switch (tile) {
        case 12 -> pairsRows12(seg, wOff, in.packed, xp, k0, k1, c, co, cs, load);
        case 4 -> pairsRows4(seg, wOff, in.packed, xp, k0, k1, c, co, cs, load);
        default -> {
          // The one-row kernel takes k-row pairs; an odd last k-row (k1 = cols) is added to its stored chains.
          int even = k1 - ((k1 - k0) & 1);
          pairsRow(seg, wOff, in.x, xo, k0, even, c, co, load);
          if (even < k1) {
            pairsLastRow(seg, wOff, even, in.x, xo + even, c, co, load || even > k0);
          }
        }
      }
    } else {
      switch (tile) {
        case 12 -> f32Rows12(seg, wOff, in.packed, xp, k0, k1, c, co, cs, load);
        case 4 -> f32Rows4(seg, wOff, in.packed, xp, k0, k1, c, co, cs, load);
        default -> f32Row(seg, wOff, in.x, xo, k0, k1, c, co, load);
      }
    }
  }

  /** Panels per unit of work when a product over {@code rows} input rows is split between threads. */
  public static int panelsPerChunk(int rows) {
    return rows >= 12 ? PANEL_GROUP : 1;
  }

  private static float[] scratch(int n) {
    float[] s = SCRATCH.get();
    if (s.length < n) {
      s = new float[Math.max(n, 2 * s.length)];
      SCRATCH.set(s);
    }
    return s;
  }

  // ---------------------------------------------------------------- bf16 panels, 512-bit

  private static FloatVector lo(IntVector w) {
    return w.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
  }

  private static FloatVector hi(IntVector w) {
    return w.and(HI).reinterpretAsFloats();
  }

  private static FloatVector acc(float[] c, int i, boolean load) {
    return load ? FloatVector.fromArray(F, c, i) : FloatVector.zero(F);
  }

  /** One input row against one bf16 panel over k-rows {@code [k0, k1)}. */
  static void bf16Row(MemorySegment w, long wOff, float[] x, int xo, int k0, int k1, float[] c, int co, boolean load) {
    FloatVector a0 = acc(c, co, load), b0 = acc(c, co + 16, load);
    for (int k = k0; k < k1; k++) {
      IntVector wi = IntVector.fromMemorySegment(I, w, wOff + 64L * k, LE);
      FloatVector xb = FloatVector.broadcast(F, x[xo + k]);
      a0 = lo(wi).fma(xb, a0);
      b0 = hi(wi).fma(xb, b0);
    }
    a0.intoArray(c, co);
    b0.intoArray(c, co + 16);
  }
  /**
   * Four input rows against one bf16 panel over k-rows {@code [k0, k1)}; the rows come packed in {@code xp}
   * from {@code xStart}, 4 values per k-row, so every broadcast reads one base address.
   */
  static void bf16Rows4(MemorySegment w, long wOff, float[] xp, int xStart, int k0, int k1, float[] c, int co,
      int cs, boolean load) {
    FloatVector a0 = acc(c, co, load), b0 = acc(c, co + 16, load);
    FloatVector a1 = acc(c, co + cs, load), b1 = acc(c, co + cs + 16, load);
    FloatVector a2 = acc(c, co + 2 * cs, load), b2 = acc(c, co + 2 * cs + 16, load);
    FloatVector a3 = acc(c, co + 3 * cs, load), b3 = acc(c, co + 3 * cs + 16, load);
    int xBase = xStart - 4 * k0;
    for (int k = k0; k < k1; k++) {
      int xo = xBase + 4 * k; // linear in k: the JIT drops the bounds checks
      IntVector wi = IntVector.fromMemorySegment(I, w, wOff + 64L * k, LE);
      FloatVector l = lo(wi), h = hi(wi);
      FloatVector xb = FloatVector.broadcast(F, xp[xo]);
      a0 = l.fma(xb, a0);
      b0 = h.fma(xb, b0);
      xb = FloatVector.broadcast(F, xp[xo + 1]);
      a1 = l.fma(xb, a1);
      b1 = h.fma(xb, b1);
      xb = FloatVector.broadcast(F, xp[xo + 2]);
      a2 = l.fma(xb, a2);
      b2 = h.fma(xb, b2);
      xb = FloatVector.broadcast(F, xp[xo + 3]);
      a3 = l.fma(xb, a3);
      b3 = h.fma(xb, b3);
    }
    a0.intoArray(c, co);
    b0.intoArray(c, co + 16);
    a1.intoArray(c, co + cs);
    b1.intoArray(c, co + cs + 16);
    a2.intoArray(c, co + 2 * cs);
    b2.intoArray(c, co + 2 * cs + 16);
    a3.intoArray(c, co + 3 * cs);
    b3.intoArray(c, co + 3 * cs + 16);
  }

  /**
   * Twelve input rows against one bf16 panel over k-rows {@code [k0, k1)}; the rows come packed in {@code xp}
   * from {@code xStart}, 12 values per k-row, so every broadcast reads one base address.
   */
  static void bf16Rows12(MemorySegment w, long wOff, float[] xp, int xStart, int k0, int k1, float[] c, int co,
      int cs, boolean load) {
    FloatVector a0 = acc(c, co, load), b0 = acc(c, co + 16, load);
    FloatVector a1 = acc(c, co + cs, load), b1 = acc(c, co + cs + 16, load);
    FloatVector a2 = acc(c, co + 2 * cs, load), b2 = acc(c, co + 2 * cs + 16, load);
    FloatVector a3 = acc(c, co + 3 * cs, load), b3 = acc(c, co + 3 * cs + 16, load);
    FloatVector a4 = acc(c, co + 4 * cs, load), b4 = acc(c, co + 4 * cs + 16, load);
    FloatVector a5 = acc(c, co + 5 * cs, load), b5 = acc(c, co + 5 * cs + 16, load);
    FloatVector a6 = acc(c, co + 6 * cs, load), b6 = acc(c, co + 6 * cs + 16, load);
    FloatVector a7 = acc(c, co + 7 * cs, load), b7 = acc(c, co + 7 * cs + 16, load);
    FloatVector a8 = acc(c, co + 8 * cs, load), b8 = acc(c, co + 8 * cs + 16, load);
    FloatVector a9 = acc(c, co + 9 * cs, load), b9 = acc(c, co + 9 * cs + 16, load);
    FloatVector a10 = acc(c, co + 10 * cs, load), b10 = acc(c, co + 10 * cs + 16, load);
    FloatVector a11 = acc(c, co + 11 * cs, load), b11 = acc(c, co + 11 * cs + 16, load);
    int xBase = xStart - 12 * k0;
    for (int k = k0; k < k1; k++) {
      int xo = xBase + 12 * k; // linear in k: the JIT drops the bounds checks
      IntVector wi = IntVector.fromMemorySegment(I, w, wOff + 64L * k, LE);
      FloatVector l = lo(wi), h = hi(wi);
      FloatVector xb = FloatVector.broadcast(F, xp[xo]);
      a0 = l.fma(xb, a0);
      b0 = h.fma(xb, b0);
      xb = FloatVector.broadcast(F, xp[xo + 1]);
      a1 = l.fma(xb, a1);
      b1 = h.fma(xb, b1);
      xb = FloatVector.broadcast(F, xp[xo + 2]);
      a2 = l.fma(xb, a2);
      b2 = h.fma(xb, b2);
      xb = FloatVector.broadcast(F, xp[xo + 3]);
      a3 = l.fma(xb, a3);
      b3 = h.fma(xb, b3);
      xb = FloatVector.broadcast(F, xp[xo + 4]);
      a4 = l.fma(xb, a4);
      b4 = h.fma(xb, b4);
      xb = FloatVector.broadcast(F, xp[xo + 5]);
      a5 = l.fma(xb, a5);
      b5 = h.fma(xb, b5);
      xb = FloatVector.broadcast(F, xp[xo + 6]);
      a6 = l.fma(xb, a6);
      b6 = h.fma(xb, b6);
      xb = FloatVector.broadcast(F, xp[xo + 7]);
      a7 = l.fma(xb, a7);
      b7 = h.fma(xb, b7);
      xb = FloatVector.broadcast(F, xp[xo + 8]);
      a8 = l.fma(xb, a8);
      b8 = h.fma(xb, b8);
      xb = FloatVector.broadcast(F, xp[xo + 9]);
      a9 = l.fma(xb, a9);
      b9 = h.fma(xb, b9);
      xb = FloatVector.broadcast(F, xp[xo + 10]);
      a10 = l.fma(xb, a10);
      b10 = h.fma(xb, b10);
      xb = FloatVector.broadcast(F, xp[xo + 11]);
      a11 = l.fma(xb, a11);
      b11 = h.fma(xb, b11);
    }
    a0.intoArray(c, co);
    b0.intoArray(c, co + 16);
    a1.intoArray(c, co + cs);
    b1.intoArray(c, co + cs + 16);
    a2.intoArray(c, co + 2 * cs);
    b2.intoArray(c, co + 2 * cs + 16);
    a3.intoArray(c, co + 3 * cs);
    b3.intoArray(c, co + 3 * cs + 16);
    a4.intoArray(c, co + 4 * cs);
    b4.intoArray(c, co + 4 * cs + 16);
    a5.intoArray(c, co + 5 * cs);
    b5.intoArray(c, co + 5 * cs + 16);
    a6.intoArray(c, co + 6 * cs);
    b6.intoArray(c, co + 6 * cs + 16);
    a7.intoArray(c, co + 7 * cs);
    b7.intoArray(c, co + 7 * cs + 16);
    a8.intoArray(c, co + 8 * cs);
    b8.intoArray(c, co + 8 * cs + 16);
    a9.intoArray(c, co + 9 * cs);
    b9.intoArray(c, co + 9 * cs + 16);
    a10.intoArray(c, co + 10 * cs);
    b10.intoArray(c, co + 10 * cs + 16);
    a11.intoArray(c, co + 11 * cs);
    b11.intoArray(c, co + 11 * cs + 16);
  }

  // ---------------------------------------------------------------- bf16 k-row pairs (oneDNN layout), 512-bit

  /** Adds the odd last k-row {@code k} of a k-row-pair panel to one row's chains ({@code load} false: from zero). */
  static void pairsLastRow(MemorySegment w, long wOff, int k, float[] x, int xi, float[] c, int co, boolean load) {
    long o = wOff + 64L * k;
    FloatVector xb = FloatVector.broadcast(F, x[xi]);
    lo(IntVector.fromMemorySegment(I, w, o, LE)).fma(xb, acc(c, co, load)).intoArray(c, co);
    lo(IntVector.fromMemorySegment(I, w, o + 64, LE)).fma(xb, acc(c, co + 16, load)).intoArray(c, co + 16);
  }


  /** One input row against one bf16 panel over k-rows {@code [k0, k1)} (both even). */
  static void pairsRow(MemorySegment w, long wOff, float[] x, int xo, int k0, int k1, float[] c, int co, boolean load) {
    FloatVector a0 = acc(c, co, load), b0 = acc(c, co + 16, load);
    for (int k = k0; k + 1 < k1; k += 2) {
      long o = wOff + 64L * k;
      IntVector w0 = IntVector.fromMemorySegment(I, w, o, LE);
      IntVector w1 = IntVector.fromMemorySegment(I, w, o + 64, LE);
      FloatVector xb = FloatVector.broadcast(F, x[xo + k]);
      a0 = lo(w0).fma(xb, a0);
      b0 = lo(w1).fma(xb, b0);
      xb = FloatVector.broadcast(F, x[xo + k + 1]);
      a0 = hi(w0).fma(xb, a0);
      b0 = hi(w1).fma(xb, b0);
    }
    a0.intoArray(c, co);
    b0.intoArray(c, co + 16);
  }

  /**
   * Four input rows against one bf16 panel over k-rows {@code [k0, k1)}; the rows come packed
   * in {@code xp} from {@code xStart}, 4 values per k-row, so every broadcast reads one base address. K-row
   * {@code k} is the low half of the ints at its pair's offset plus {@code 2 * (k & 1)} bytes (for odd
   * {@code k} an unaligned load one bf16 further: the panels end with 64 bytes of slack for it), widened
   * by one shift: one loop body for both k-rows of a pair (a body per pair is too large for the JIT).
   */
  static void pairsRows4(MemorySegment w, long wOff, float[] xp, int xStart, int k0, int k1, float[] c, int co,
      int cs, boolean load) {
    FloatVector a0 = acc(c, co, load), b0 = acc(c, co + 16, load);
    FloatVector a1 = acc(c, co + cs, load), b1 = acc(c, co + cs + 16, load);
    FloatVector a2 = acc(c, co + 2 * cs, load), b2 = acc(c, co + 2 * cs + 16, load);
    FloatVector a3 = acc(c, co + 3 * cs, load), b3 = acc(c, co + 3 * cs + 16, load);
    int xBase = xStart - 4 * k0;
    for (int k = k0; k < k1; k++) {
      int xo = xBase + 4 * k; // linear in k: the JIT drops the bounds checks
      long o = wOff + 64L * k - 62L * (k & 1);
      FloatVector l = lo(IntVector.fromMemorySegment(I, w, o, LE));
      FloatVector h = lo(IntVector.fromMemorySegment(I, w, o + 64, LE));
      FloatVector xb = FloatVector.broadcast(F, xp[xo]);
      a0 = l.fma(xb, a0);
      b0 = h.fma(xb, b0);
      xb = FloatVector.broadcast(F, xp[xo + 1]);
      a1 = l.fma(xb, a1);
      b1 = h.fma(xb, b1);
      xb = FloatVector.broadcast(F, xp[xo + 2]);
      a2 = l.fma(xb, a2);
      b2 = h.fma(xb, b2);
      xb = FloatVector.broadcast(F, xp[xo + 3]);
      a3 = l.fma(xb, a3);
      b3 = h.fma(xb, b3);
    }
    a0.intoArray(c, co);
    b0.intoArray(c, co + 16);
    a1.intoArray(c, co + cs);
    b1.intoArray(c, co + cs + 16);
    a2.intoArray(c, co + 2 * cs);
    b2.intoArray(c, co + 2 * cs + 16);
    a3.intoArray(c, co + 3 * cs);
    b3.intoArray(c, co + 3 * cs + 16);
  }




  /**
   * Twelve input rows against one bf16 panel over k-rows {@code [k0, k1)}; the rows come packed
   * in {@code xp} from {@code xStart}, 12 values per k-row, so every broadcast reads one base address. K-row
   * {@code k} is the low half of the ints at its pair's offset plus {@code 2 * (k & 1)} bytes (for odd
   * {@code k} an unaligned load one bf16 further: the panels end with 64 bytes of slack for it), widened
   * by one shift: one loop body for both k-rows of a pair (a body per pair is too large for the JIT).
   */
  static void pairsRows12(MemorySegment w, long wOff, float[] xp, int xStart, int k0, int k1, float[] c, int co,
      int cs, boolean load) {
    FloatVector a0 = acc(c, co, load), b0 = acc(c, co + 16, load);
    FloatVector a1 = acc(c, co + cs, load), b1 = acc(c, co + cs + 16, load);
    FloatVector a2 = acc(c, co + 2 * cs, load), b2 = acc(c, co + 2 * cs + 16, load);
    FloatVector a3 = acc(c, co + 3 * cs, load), b3 = acc(c, co + 3 * cs + 16, load);
    FloatVector a4 = acc(c, co + 4 * cs, load), b4 = acc(c, co + 4 * cs + 16, load);
    FloatVector a5 = acc(c, co + 5 * cs, load), b5 = acc(c, co + 5 * cs + 16, load);
    FloatVector a6 = acc(c, co + 6 * cs, load), b6 = acc(c, co + 6 * cs + 16, load);
    FloatVector a7 = acc(c, co + 7 * cs, load), b7 = acc(c, co + 7 * cs + 16, load);
    FloatVector a8 = acc(c, co + 8 * cs, load), b8 = acc(c, co + 8 * cs + 16, load);
    FloatVector a9 = acc(c, co + 9 * cs, load), b9 = acc(c, co + 9 * cs + 16, load);
    FloatVector a10 = acc(c, co + 10 * cs, load), b10 = acc(c, co + 10 * cs + 16, load);
    FloatVector a11 = acc(c, co + 11 * cs, load), b11 = acc(c, co + 11 * cs + 16, load);
    int xBase = xStart - 12 * k0;
    for (int k = k0; k < k1; k++) {
      int xo = xBase + 12 * k; // linear in k: the JIT drops the bounds checks
      long o = wOff + 64L * k - 62L * (k & 1);
      FloatVector l = lo(IntVector.fromMemorySegment(I, w, o, LE));
      FloatVector h = lo(IntVector.fromMemorySegment(I, w, o + 64, LE));
      FloatVector xb = FloatVector.broadcast(F, xp[xo]);
      a0 = l.fma(xb, a0);
      b0 = h.fma(xb, b0);
      xb = FloatVector.broadcast(F, xp[xo + 1]);
      a1 = l.fma(xb, a1);
      b1 = h.fma(xb, b1);
      xb = FloatVector.broadcast(F, xp[xo + 2]);
      a2 = l.fma(xb, a2);
      b2 = h.fma(xb, b2);
      xb = FloatVector.broadcast(F, xp[xo + 3]);
      a3 = l.fma(xb, a3);
      b3 = h.fma(xb, b3);
      xb = FloatVector.broadcast(F, xp[xo + 4]);
      a4 = l.fma(xb, a4);
      b4 = h.fma(xb, b4);
      xb = FloatVector.broadcast(F, xp[xo + 5]);
      a5 = l.fma(xb, a5);
      b5 = h.fma(xb, b5);
      xb = FloatVector.broadcast(F, xp[xo + 6]);
      a6 = l.fma(xb, a6);
      b6 = h.fma(xb, b6);
      xb = FloatVector.broadcast(F, xp[xo + 7]);
      a7 = l.fma(xb, a7);
      b7 = h.fma(xb, b7);
      xb = FloatVector.broadcast(F, xp[xo + 8]);
      a8 = l.fma(xb, a8);
      b8 = h.fma(xb, b8);
      xb = FloatVector.broadcast(F, xp[xo + 9]);
      a9 = l.fma(xb, a9);
      b9 = h.fma(xb, b9);
      xb = FloatVector.broadcast(F, xp[xo + 10]);
      a10 = l.fma(xb, a10);
      b10 = h.fma(xb, b10);
      xb = FloatVector.broadcast(F, xp[xo + 11]);
      a11 = l.fma(xb, a11);
      b11 = h.fma(xb, b11);
    }
    a0.intoArray(c, co);
    b0.intoArray(c, co + 16);
    a1.intoArray(c, co + cs);
    b1.intoArray(c, co + cs + 16);
    a2.intoArray(c, co + 2 * cs);
    b2.intoArray(c, co + 2 * cs + 16);
    a3.intoArray(c, co + 3 * cs);
    b3.intoArray(c, co + 3 * cs + 16);
    a4.intoArray(c, co + 4 * cs);
    b4.intoArray(c, co + 4 * cs + 16);
    a5.intoArray(c, co + 5 * cs);
    b5.intoArray(c, co + 5 * cs + 16);
    a6.intoArray(c, co + 6 * cs);
    b6.intoArray(c, co + 6 * cs + 16);
    a7.intoArray(c, co + 7 * cs);
    b7.intoArray(c, co + 7 * cs + 16);
    a8.intoArray(c, co + 8 * cs);
    b8.intoArray(c, co + 8 * cs + 16);
    a9.intoArray(c, co + 9 * cs);
    b9.intoArray(c, co + 9 * cs + 16);
    a10.intoArray(c, co + 10 * cs);
    b10.intoArray(c, co + 10 * cs + 16);
    a11.intoArray(c, co + 11 * cs);
    b11.intoArray(c, co + 11 * cs + 16);
  }




  // ---------------------------------------------------------------- f32 panels, 512-bit

  /** One input row against one f32 panel. */
  static void f32Row(MemorySegment w, long wOff, float[] x, int xo, int k0, int k1, float[] c, int co, boolean load) {
    FloatVector a0 = acc(c, co, load), b0 = acc(c, co + 16, load);
    for (int k = k0; k < k1; k++) {
      long o = wOff + 128L * k;
      FloatVector xb = FloatVector.broadcast(F, x[xo + k]);
      a0 = FloatVector.fromMemorySegment(F, w, o, LE).fma(xb, a0);
      b0 = FloatVector.fromMemorySegment(F, w, o + 64, LE).fma(xb, b0);
    }
    a0.intoArray(c, co);
    b0.intoArray(c, co + 16);
  }
  /**
   * Four input rows against one f32 panel over k-rows {@code [k0, k1)}; the rows come packed in {@code xp}
   * from {@code xStart}, 4 values per k-row, so every broadcast reads one base address.
   */
  static void f32Rows4(MemorySegment w, long wOff, float[] xp, int xStart, int k0, int k1, float[] c, int co,
      int cs, boolean load) {
    FloatVector a0 = acc(c, co, load), b0 = acc(c, co + 16, load);
    FloatVector a1 = acc(c, co + cs, load), b1 = acc(c, co + cs + 16, load);
    FloatVector a2 = acc(c, co + 2 * cs, load), b2 = acc(c, co + 2 * cs + 16, load);
    FloatVector a3 = acc(c, co + 3 * cs, load), b3 = acc(c, co + 3 * cs + 16, load);
    int xBase = xStart - 4 * k0;
    for (int k = k0; k < k1; k++) {
      int xo = xBase + 4 * k; // linear in k: the JIT drops the bounds checks
      long o = wOff + 128L * k;
      FloatVector l = FloatVector.fromMemorySegment(F, w, o, LE);
      FloatVector h = FloatVector.fromMemorySegment(F, w, o + 64, LE);
      FloatVector xb = FloatVector.broadcast(F, xp[xo]);
      a0 = l.fma(xb, a0);
      b0 = h.fma(xb, b0);
      xb = FloatVector.broadcast(F, xp[xo + 1]);
      a1 = l.fma(xb, a1);
      b1 = h.fma(xb, b1);
      xb = FloatVector.broadcast(F, xp[xo + 2]);
      a2 = l.fma(xb, a2);
      b2 = h.fma(xb, b2);
      xb = FloatVector.broadcast(F, xp[xo + 3]);
      a3 = l.fma(xb, a3);
      b3 = h.fma(xb, b3);
    }
    a0.intoArray(c, co);
    b0.intoArray(c, co + 16);
    a1.intoArray(c, co + cs);
    b1.intoArray(c, co + cs + 16);
    a2.intoArray(c, co + 2 * cs);
    b2.intoArray(c, co + 2 * cs + 16);
    a3.intoArray(c, co + 3 * cs);
    b3.intoArray(c, co + 3 * cs + 16);
  }

  /**
   * Twelve input rows against one f32 panel over k-rows {@code [k0, k1)}; the rows come packed in {@code xp}
   * from {@code xStart}, 12 values per k-row, so every broadcast reads one base address.
   */
  static void f32Rows12(MemorySegment w, long wOff, float[] xp, int xStart, int k0, int k1, float[] c, int co,
      int cs, boolean load) {
    FloatVector a0 = acc(c, co, load), b0 = acc(c, co + 16, load);
    FloatVector a1 = acc(c, co + cs, load), b1 = acc(c, co + cs + 16, load);
    FloatVector a2 = acc(c, co + 2 * cs, load), b2 = acc(c, co + 2 * cs + 16, load);
    FloatVector a3 = acc(c, co + 3 * cs, load), b3 = acc(c, co + 3 * cs + 16, load);
    FloatVector a4 = acc(c, co + 4 * cs, load), b4 = acc(c, co + 4 * cs + 16, load);
    FloatVector a5 = acc(c, co + 5 * cs, load), b5 = acc(c, co + 5 * cs + 16, load);
    FloatVector a6 = acc(c, co + 6 * cs, load), b6 = acc(c, co + 6 * cs + 16, load);
    FloatVector a7 = acc(c, co + 7 * cs, load), b7 = acc(c, co + 7 * cs + 16, load);
    FloatVector a8 = acc(c, co + 8 * cs, load), b8 = acc(c, co + 8 * cs + 16, load);
    FloatVector a9 = acc(c, co + 9 * cs, load), b9 = acc(c, co + 9 * cs + 16, load);
    FloatVector a10 = acc(c, co + 10 * cs, load), b10 = acc(c, co + 10 * cs + 16, load);
    FloatVector a11 = acc(c, co + 11 * cs, load), b11 = acc(c, co + 11 * cs + 16, load);
    int xBase = xStart - 12 * k0;
    for (int k = k0; k < k1; k++) {
      int xo = xBase + 12 * k; // linear in k: the JIT drops the bounds checks
      long o = wOff + 128L * k;
      FloatVector l = FloatVector.fromMemorySegment(F, w, o, LE);
      FloatVector h = FloatVector.fromMemorySegment(F, w, o + 64, LE);
      FloatVector xb = FloatVector.broadcast(F, xp[xo]);
      a0 = l.fma(xb, a0);
      b0 = h.fma(xb, b0);
      xb = FloatVector.broadcast(F, xp[xo + 1]);
      a1 = l.fma(xb, a1);
      b1 = h.fma(xb, b1);
      xb = FloatVector.broadcast(F, xp[xo + 2]);
      a2 = l.fma(xb, a2);
      b2 = h.fma(xb, b2);
      xb = FloatVector.broadcast(F, xp[xo + 3]);
      a3 = l.fma(xb, a3);
      b3 = h.fma(xb, b3);
      xb = FloatVector.broadcast(F, xp[xo + 4]);
      a4 = l.fma(xb, a4);
      b4 = h.fma(xb, b4);
      xb = FloatVector.broadcast(F, xp[xo + 5]);
      a5 = l.fma(xb, a5);
      b5 = h.fma(xb, b5);
      xb = FloatVector.broadcast(F, xp[xo + 6]);
      a6 = l.fma(xb, a6);
      b6 = h.fma(xb, b6);
      xb = FloatVector.broadcast(F, xp[xo + 7]);
      a7 = l.fma(xb, a7);
      b7 = h.fma(xb, b7);
      xb = FloatVector.broadcast(F, xp[xo + 8]);
      a8 = l.fma(xb, a8);
      b8 = h.fma(xb, b8);
      xb = FloatVector.broadcast(F, xp[xo + 9]);
      a9 = l.fma(xb, a9);
      b9 = h.fma(xb, b9);
      xb = FloatVector.broadcast(F, xp[xo + 10]);
      a10 = l.fma(xb, a10);
      b10 = h.fma(xb, b10);
      xb = FloatVector.broadcast(F, xp[xo + 11]);
      a11 = l.fma(xb, a11);
      b11 = h.fma(xb, b11);
    }
    a0.intoArray(c, co);
    b0.intoArray(c, co + 16);
    a1.intoArray(c, co + cs);
    b1.intoArray(c, co + cs + 16);
    a2.intoArray(c, co + 2 * cs);
    b2.intoArray(c, co + 2 * cs + 16);
    a3.intoArray(c, co + 3 * cs);
    b3.intoArray(c, co + 3 * cs + 16);
    a4.intoArray(c, co + 4 * cs);
    b4.intoArray(c, co + 4 * cs + 16);
    a5.intoArray(c, co + 5 * cs);
    b5.intoArray(c, co + 5 * cs + 16);
    a6.intoArray(c, co + 6 * cs);
    b6.intoArray(c, co + 6 * cs + 16);
    a7.intoArray(c, co + 7 * cs);
    b7.intoArray(c, co + 7 * cs + 16);
    a8.intoArray(c, co + 8 * cs);
    b8.intoArray(c, co + 8 * cs + 16);
    a9.intoArray(c, co + 9 * cs);
    b9.intoArray(c, co + 9 * cs + 16);
    a10.intoArray(c, co + 10 * cs);
    b10.intoArray(c, co + 10 * cs + 16);
    a11.intoArray(c, co + 11 * cs);
    b11.intoArray(c, co + 11 * cs + 16);
  }

  // ---------------------------------------------------------------- int8 panels, 512-bit

  /** 16 int8 codes at {@code off} widened to 16 floats (exact). */
  private static FloatVector i8(MemorySegment w, long off) {
    return (FloatVector) ByteVector.fromMemorySegment(B16, w, off, LE).convertShape(VectorOperators.B2F, F, 0);
  }

  /**
   * One input row against one int8 panel over k-rows {@code [k0, k1)} (the decode GEMV): 32 bytes per k-row
   * read, widened in registers; with {@code last} the chains are multiplied by the scales {@code sc[so ..]}.
   */
  static void int8Row(MemorySegment w, long wOff, float[] x, int xo, int k0, int k1, float[] c, int co, boolean load,
      float[] sc, int so, boolean last) {
    FloatVector a0 = acc(c, co, load), b0 = acc(c, co + 16, load);
    for (int k = k0; k < k1; k++) {
      long o = wOff + 32L * k;
      FloatVector xb = FloatVector.broadcast(F, x[xo + k]);
      a0 = i8(w, o).fma(xb, a0);
      b0 = i8(w, o + 16).fma(xb, b0);
    }
    if (last) {
      a0 = a0.mul(FloatVector.fromArray(F, sc, so));
      b0 = b0.mul(FloatVector.fromArray(F, sc, so + 16));
    }
    a0.intoArray(c, co);
    b0.intoArray(c, co + 16);
  }

  /**
   * 4 input rows against one int8 panel over k-rows {@code [k0, k1)}; the rows come packed in {@code xp}
   * from {@code xStart}, 4 values per k-row; with {@code last} the chains are multiplied by the panel's
   * scales ({@code sc[so ..]}) before they are stored.
   */
  static void int8Rows4(MemorySegment w, long wOff, float[] xp, int xStart, int k0, int k1, float[] c, int co,
      int cs, boolean load, float[] sc, int so, boolean last) {
    FloatVector a0 = acc(c, co, load), b0 = acc(c, co + 16, load);
    FloatVector a1 = acc(c, co + cs, load), b1 = acc(c, co + cs + 16, load);
    FloatVector a2 = acc(c, co + 2 * cs, load), b2 = acc(c, co + 2 * cs + 16, load);
    FloatVector a3 = acc(c, co + 3 * cs, load), b3 = acc(c, co + 3 * cs + 16, load);
    int xBase = xStart - 4 * k0;
    for (int k = k0; k < k1; k++) {
      int xo = xBase + 4 * k; // linear in k: the JIT drops the bounds checks
      long o = wOff + 32L * k;
      FloatVector l = i8(w, o), h = i8(w, o + 16);
      FloatVector xb = FloatVector.broadcast(F, xp[xo]);
      a0 = l.fma(xb, a0);
      b0 = h.fma(xb, b0);
      xb = FloatVector.broadcast(F, xp[xo + 1]);
      a1 = l.fma(xb, a1);
      b1 = h.fma(xb, b1);
      xb = FloatVector.broadcast(F, xp[xo + 2]);
      a2 = l.fma(xb, a2);
      b2 = h.fma(xb, b2);
      xb = FloatVector.broadcast(F, xp[xo + 3]);
      a3 = l.fma(xb, a3);
      b3 = h.fma(xb, b3);
    }
    if (last) {
      FloatVector sl = FloatVector.fromArray(F, sc, so), sh = FloatVector.fromArray(F, sc, so + 16);
      a0 = a0.mul(sl);
      b0 = b0.mul(sh);
      a1 = a1.mul(sl);
      b1 = b1.mul(sh);
      a2 = a2.mul(sl);
      b2 = b2.mul(sh);
      a3 = a3.mul(sl);
      b3 = b3.mul(sh);
    }
    a0.intoArray(c, co);
    b0.intoArray(c, co + 16);
    a1.intoArray(c, co + cs);
    b1.intoArray(c, co + cs + 16);
    a2.intoArray(c, co + 2 * cs);
    b2.intoArray(c, co + 2 * cs + 16);
    a3.intoArray(c, co + 3 * cs);
    b3.intoArray(c, co + 3 * cs + 16);
  }

  /**
   * 12 input rows against one int8 panel over k-rows {@code [k0, k1)}; the rows come packed in {@code xp}
   * from {@code xStart}, 12 values per k-row; with {@code last} the chains are multiplied by the panel's
   * scales ({@code sc[so ..]}) before they are stored.
   */
  static void int8Rows12(MemorySegment w, long wOff, float[] xp, int xStart, int k0, int k1, float[] c, int co,
      int cs, boolean load, float[] sc, int so, boolean last) {
    FloatVector a0 = acc(c, co, load), b0 = acc(c, co + 16, load);
    FloatVector a1 = acc(c, co + cs, load), b1 = acc(c, co + cs + 16, load);
    FloatVector a2 = acc(c, co + 2 * cs, load), b2 = acc(c, co + 2 * cs + 16, load);
    FloatVector a3 = acc(c, co + 3 * cs, load), b3 = acc(c, co + 3 * cs + 16, load);
    FloatVector a4 = acc(c, co + 4 * cs, load), b4 = acc(c, co + 4 * cs + 16, load);
    FloatVector a5 = acc(c, co + 5 * cs, load), b5 = acc(c, co + 5 * cs + 16, load);
    FloatVector a6 = acc(c, co + 6 * cs, load), b6 = acc(c, co + 6 * cs + 16, load);
    FloatVector a7 = acc(c, co + 7 * cs, load), b7 = acc(c, co + 7 * cs + 16, load);
    FloatVector a8 = acc(c, co + 8 * cs, load), b8 = acc(c, co + 8 * cs + 16, load);
    FloatVector a9 = acc(c, co + 9 * cs, load), b9 = acc(c, co + 9 * cs + 16, load);
    FloatVector a10 = acc(c, co + 10 * cs, load), b10 = acc(c, co + 10 * cs + 16, load);
    FloatVector a11 = acc(c, co + 11 * cs, load), b11 = acc(c, co + 11 * cs + 16, load);
    int xBase = xStart - 12 * k0;
    for (int k = k0; k < k1; k++) {
      int xo = xBase + 12 * k; // linear in k: the JIT drops the bounds checks
      long o = wOff + 32L * k;
      FloatVector l = i8(w, o), h = i8(w, o + 16);
      FloatVector xb = FloatVector.broadcast(F, xp[xo]);
      a0 = l.fma(xb, a0);
      b0 = h.fma(xb, b0);
      xb = FloatVector.broadcast(F, xp[xo + 1]);
      a1 = l.fma(xb, a1);
      b1 = h.fma(xb, b1);
      xb = FloatVector.broadcast(F, xp[xo + 2]);
      a2 = l.fma(xb, a2);
      b2 = h.fma(xb, b2);
      xb = FloatVector.broadcast(F, xp[xo + 3]);
      a3 = l.fma(xb, a3);
      b3 = h.fma(xb, b3);
      xb = FloatVector.broadcast(F, xp[xo + 4]);
      a4 = l.fma(xb, a4);
      b4 = h.fma(xb, b4);
      xb = FloatVector.broadcast(F, xp[xo + 5]);
      a5 = l.fma(xb, a5);
      b5 = h.fma(xb, b5);
      xb = FloatVector.broadcast(F, xp[xo + 6]);
      a6 = l.fma(xb, a6);
      b6 = h.fma(xb, b6);
      xb = FloatVector.broadcast(F, xp[xo + 7]);
      a7 = l.fma(xb, a7);
      b7 = h.fma(xb, b7);
      xb = FloatVector.broadcast(F, xp[xo + 8]);
      a8 = l.fma(xb, a8);
      b8 = h.fma(xb, b8);
      xb = FloatVector.broadcast(F, xp[xo + 9]);
      a9 = l.fma(xb, a9);
      b9 = h.fma(xb, b9);
      xb = FloatVector.broadcast(F, xp[xo + 10]);
      a10 = l.fma(xb, a10);
      b10 = h.fma(xb, b10);
      xb = FloatVector.broadcast(F, xp[xo + 11]);
      a11 = l.fma(xb, a11);
      b11 = h.fma(xb, b11);
    }
    if (last) {
      FloatVector sl = FloatVector.fromArray(F, sc, so), sh = FloatVector.fromArray(F, sc, so + 16);
      a0 = a0.mul(sl);
      b0 = b0.mul(sh);
      a1 = a1.mul(sl);
      b1 = b1.mul(sh);
      a2 = a2.mul(sl);
      b2 = b2.mul(sh);
      a3 = a3.mul(sl);
      b3 = b3.mul(sh);
      a4 = a4.mul(sl);
      b4 = b4.mul(sh);
      a5 = a5.mul(sl);
      b5 = b5.mul(sh);
      a6 = a6.mul(sl);
      b6 = b6.mul(sh);
      a7 = a7.mul(sl);
      b7 = b7.mul(sh);
      a8 = a8.mul(sl);
      b8 = b8.mul(sh);
      a9 = a9.mul(sl);
      b9 = b9.mul(sh);
      a10 = a10.mul(sl);
      b10 = b10.mul(sh);
      a11 = a11.mul(sl);
      b11 = b11.mul(sh);
    }
    a0.intoArray(c, co);
    b0.intoArray(c, co + 16);
    a1.intoArray(c, co + cs);
    b1.intoArray(c, co + cs + 16);
    a2.intoArray(c, co + 2 * cs);
    b2.intoArray(c, co + 2 * cs + 16);
    a3.intoArray(c, co + 3 * cs);
    b3.intoArray(c, co + 3 * cs + 16);
    a4.intoArray(c, co + 4 * cs);
    b4.intoArray(c, co + 4 * cs + 16);
    a5.intoArray(c, co + 5 * cs);
    b5.intoArray(c, co + 5 * cs + 16);
    a6.intoArray(c, co + 6 * cs);
    b6.intoArray(c, co + 6 * cs + 16);
    a7.intoArray(c, co + 7 * cs);
    b7.intoArray(c, co + 7 * cs + 16);
    a8.intoArray(c, co + 8 * cs);
    b8.intoArray(c, co + 8 * cs + 16);
    a9.intoArray(c, co + 9 * cs);
    b9.intoArray(c, co + 9 * cs + 16);
    a10.intoArray(c, co + 10 * cs);
    b10.intoArray(c, co + 10 * cs + 16);
    a11.intoArray(c, co + 11 * cs);
    b11.intoArray(c, co + 11 * cs + 16);
  }

  /** One input row against one int8 panel with 128-bit vectors: the same chains and scaling, slower. */
  static void int8Portable(MemorySegment w, long wOff, float[] x, int xo, int k0, int k1, float[] c, int co,
      boolean load, float[] sc, int so, boolean last) {
    FloatVector z = FloatVector.zero(F4);
    FloatVector a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z;
    if (load) {
      a0 = FloatVector.fromArray(F4, c, co + 0);
      a1 = FloatVector.fromArray(F4, c, co + 4);
      a2 = FloatVector.fromArray(F4, c, co + 8);
      a3 = FloatVector.fromArray(F4, c, co + 12);
      a4 = FloatVector.fromArray(F4, c, co + 16);
      a5 = FloatVector.fromArray(F4, c, co + 20);
      a6 = FloatVector.fromArray(F4, c, co + 24);
      a7 = FloatVector.fromArray(F4, c, co + 28);
    }
    for (int k = k0; k < k1; k++) {
      FloatVector xb = FloatVector.broadcast(F4, x[xo + k]);
      long o = wOff + 32L * k;
      ByteVector lo = ByteVector.fromMemorySegment(B16, w, o, LE);
      ByteVector hi = ByteVector.fromMemorySegment(B16, w, o + 16, LE);
      a0 = ((FloatVector) lo.convertShape(VectorOperators.B2F, F4, 0)).fma(xb, a0);
      a1 = ((FloatVector) lo.convertShape(VectorOperators.B2F, F4, 1)).fma(xb, a1);
      a2 = ((FloatVector) lo.convertShape(VectorOperators.B2F, F4, 2)).fma(xb, a2);
      a3 = ((FloatVector) lo.convertShape(VectorOperators.B2F, F4, 3)).fma(xb, a3);
      a4 = ((FloatVector) hi.convertShape(VectorOperators.B2F, F4, 0)).fma(xb, a4);
      a5 = ((FloatVector) hi.convertShape(VectorOperators.B2F, F4, 1)).fma(xb, a5);
      a6 = ((FloatVector) hi.convertShape(VectorOperators.B2F, F4, 2)).fma(xb, a6);
      a7 = ((FloatVector) hi.convertShape(VectorOperators.B2F, F4, 3)).fma(xb, a7);
    }
    if (last) {
      a0 = a0.mul(FloatVector.fromArray(F4, sc, so + 0));
      a1 = a1.mul(FloatVector.fromArray(F4, sc, so + 4));
      a2 = a2.mul(FloatVector.fromArray(F4, sc, so + 8));
      a3 = a3.mul(FloatVector.fromArray(F4, sc, so + 12));
      a4 = a4.mul(FloatVector.fromArray(F4, sc, so + 16));
      a5 = a5.mul(FloatVector.fromArray(F4, sc, so + 20));
      a6 = a6.mul(FloatVector.fromArray(F4, sc, so + 24));
      a7 = a7.mul(FloatVector.fromArray(F4, sc, so + 28));
    }
    a0.intoArray(c, co + 0);
    a1.intoArray(c, co + 4);
    a2.intoArray(c, co + 8);
    a3.intoArray(c, co + 12);
    a4.intoArray(c, co + 16);
    a5.intoArray(c, co + 20);
    a6.intoArray(c, co + 24);
    a7.intoArray(c, co + 28);
  }

  // ---------------------------------------------------------------- portable (128-bit) loop

  /** One input row against one panel of either format with 128-bit vectors: the same chains, slower. */
  static void portable(MemorySegment w, long wOff, PackedLinear.Format format, float[] x, int xo, int k0, int k1,
      float[] c, int co, boolean load) {
    boolean bf16 = format == PackedLinear.Format.BF16;
    boolean pairs = format == PackedLinear.Format.BF16_PAIRS;
    FloatVector z = FloatVector.zero(F4);
    FloatVector a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z;
    if (load) {
      a0 = FloatVector.fromArray(F4, c, co);
      a1 = FloatVector.fromArray(F4, c, co + 4);
      a2 = FloatVector.fromArray(F4, c, co + 8);
      a3 = FloatVector.fromArray(F4, c, co + 12);
      a4 = FloatVector.fromArray(F4, c, co + 16);
      a5 = FloatVector.fromArray(F4, c, co + 20);
      a6 = FloatVector.fromArray(F4, c, co + 24);
      a7 = FloatVector.fromArray(F4, c, co + 28);
    }
    for (int k = k0; k < k1; k++) {
      FloatVector xb = FloatVector.broadcast(F4, x[xo + k]);
      if (bf16) {
        long o = wOff + 64L * k;
        IntVector w0 = IntVector.fromMemorySegment(I4, w, o, LE);
        IntVector w1 = IntVector.fromMemorySegment(I4, w, o + 16, LE);
        IntVector w2 = IntVector.fromMemorySegment(I4, w, o + 32, LE);
        IntVector w3 = IntVector.fromMemorySegment(I4, w, o + 48, LE);
        // Ints 4j..4j+3 hold outputs 4j.. in their low halves and 16+4j.. in their high halves.
        a0 = w0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xb, a0);
        a1 = w1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xb, a1);
        a2 = w2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xb, a2);
        a3 = w3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xb, a3);
        a4 = w0.and(HI).reinterpretAsFloats().fma(xb, a4);
        a5 = w1.and(HI).reinterpretAsFloats().fma(xb, a5);
        a6 = w2.and(HI).reinterpretAsFloats().fma(xb, a6);
        a7 = w3.and(HI).reinterpretAsFloats().fma(xb, a7);
      } else if (pairs) {
        // k-row k is the low (k even) or high (k odd) half of the ints of its pair: outputs 0..15, then 16..31.
        long o = wOff + 64L * (k & ~1);
        if ((k & 1) == 0) {
          a0 = IntVector.fromMemorySegment(I4, w, o, LE).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xb, a0);
          a1 = IntVector.fromMemorySegment(I4, w, o + 16, LE).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xb, a1);
          a2 = IntVector.fromMemorySegment(I4, w, o + 32, LE).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xb, a2);
          a3 = IntVector.fromMemorySegment(I4, w, o + 48, LE).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xb, a3);
          a4 = IntVector.fromMemorySegment(I4, w, o + 64, LE).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xb, a4);
          a5 = IntVector.fromMemorySegment(I4, w, o + 80, LE).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xb, a5);
          a6 = IntVector.fromMemorySegment(I4, w, o + 96, LE).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xb, a6);
          a7 = IntVector.fromMemorySegment(I4, w, o + 112, LE).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xb, a7);
        } else {
          a0 = IntVector.fromMemorySegment(I4, w, o, LE).and(HI).reinterpretAsFloats().fma(xb, a0);
          a1 = IntVector.fromMemorySegment(I4, w, o + 16, LE).and(HI).reinterpretAsFloats().fma(xb, a1);
          a2 = IntVector.fromMemorySegment(I4, w, o + 32, LE).and(HI).reinterpretAsFloats().fma(xb, a2);
          a3 = IntVector.fromMemorySegment(I4, w, o + 48, LE).and(HI).reinterpretAsFloats().fma(xb, a3);
          a4 = IntVector.fromMemorySegment(I4, w, o + 64, LE).and(HI).reinterpretAsFloats().fma(xb, a4);
          a5 = IntVector.fromMemorySegment(I4, w, o + 80, LE).and(HI).reinterpretAsFloats().fma(xb, a5);
          a6 = IntVector.fromMemorySegment(I4, w, o + 96, LE).and(HI).reinterpretAsFloats().fma(xb, a6);
          a7 = IntVector.fromMemorySegment(I4, w, o + 112, LE).and(HI).reinterpretAsFloats().fma(xb, a7);
        }
      } else {
        long o = wOff + 128L * k;
        a0 = FloatVector.fromMemorySegment(F4, w, o, LE).fma(xb, a0);
        a1 = FloatVector.fromMemorySegment(F4, w, o + 16, LE).fma(xb, a1);
        a2 = FloatVector.fromMemorySegment(F4, w, o + 32, LE).fma(xb, a2);
        a3 = FloatVector.fromMemorySegment(F4, w, o + 48, LE).fma(xb, a3);
        a4 = FloatVector.fromMemorySegment(F4, w, o + 64, LE).fma(xb, a4);
        a5 = FloatVector.fromMemorySegment(F4, w, o + 80, LE).fma(xb, a5);
        a6 = FloatVector.fromMemorySegment(F4, w, o + 96, LE).fma(xb, a6);
        a7 = FloatVector.fromMemorySegment(F4, w, o + 112, LE).fma(xb, a7);
      }
    }
    a0.intoArray(c, co);
    a1.intoArray(c, co + 4);
    a2.intoArray(c, co + 8);
    a3.intoArray(c, co + 12);
    a4.intoArray(c, co + 16);
    a5.intoArray(c, co + 20);
    a6.intoArray(c, co + 24);
    a7.intoArray(c, co + 28);
  }
}
