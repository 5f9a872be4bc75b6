package io.lorafleet.runtime.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lorafleet.runtime.format.DType;
import io.lorafleet.runtime.format.SafetensorsWriter;
import io.lorafleet.runtime.model.Int8Quantizer;
import io.lorafleet.runtime.model.Linear;
import io.lorafleet.runtime.model.Quantization;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The panel kernels against their definition (each output is one FMA chain over k in order, computed here
 * with scalar {@code Math.fma}) to the bit, and against a double-precision product.
 */
class PanelKernelsTest {
  private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private final Arena arena = Arena.ofAuto();

  private Linear random(DType t, int rows, int cols, SplittableRandom r) {
    MemorySegment seg = arena.allocate((long) rows * cols * t.bytes(), 64);
    for (long i = 0; i < (long) rows * cols; i++) {
      float v = (float) r.nextGaussian();
      switch (t) {
        case BF16 -> seg.set(SHORT, 2 * i, SafetensorsWriter.toBf16(v));
        case F16 -> seg.set(SHORT, 2 * i, Float.floatToFloat16(v));
        case F32 -> seg.set(FLOAT, 4 * i, v);
      }
    }
    return new Linear("w", t, rows, cols, seg);
  }

  private static float weight(Linear w, long i) {
    return switch (w.dtype()) {
      case BF16 -> Float.intBitsToFloat((w.data().get(SHORT, 2 * i) & 0xffff) << 16);
      case F16 -> Float.float16ToFloat(w.data().get(SHORT, 2 * i));
      case F32 -> w.data().get(FLOAT, 4 * i);
    };
  }

  /** The layouts a matrix of type {@code t} can be packed in. */
  private static PackedLinear.Format[] formats(DType t) {
    return t == DType.BF16 ? new PackedLinear.Format[] {PackedLinear.Format.BF16, PackedLinear.Format.BF16_PAIRS}
        : new PackedLinear.Format[] {PackedLinear.Format.of(t)};
  }

  private static float[] gaussian(int n, SplittableRandom r) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return x;
  }

  /** The definition: one FMA chain over k in order, from zero. */
  private static float chain(Linear w, int o, float[] x, int xo) {
    float acc = 0f;
    for (int k = 0; k < w.cols(); k++) {
      acc = Math.fma(weight(w, (long) o * w.cols() + k), x[xo + k], acc);
    }
    return acc;
  }

  @Test
  void everyOutputIsTheFmaChainOverKForEveryTypeShapeAndRowCount() {
    SplittableRandom r = new SplittableRandom(7);
    for (DType t : DType.values()) {
      // Panels with a partial last one, k below, at and above a k-block, odd k, more panels than a group.
      for (int[] shape : new int[][] {{37, 100}, {64, 512}, {5, 16}, {70, 1100}, {33, 7}, {300, 600}}) {
        int out = shape[0], in = shape[1];
        Linear w = random(t, out, in, r);
        for (PackedLinear.Format f : formats(t)) {
        PackedLinear p = PackedLinear.pack(w, arena, f);
        for (int o = 0; o < out; o += 3) {
          for (int k = 0; k < in; k += 5) {
            assertEquals(weight(w, (long) o * in + k), p.weight(o, k), "packed weight " + o + "," + k);
          }
        }
        for (int rows : new int[] {1, 3, 4, 12, 13, 29}) {
          float[] x = gaussian(rows * in, r);
          float[] y = new float[rows * out];
          PanelKernels.matmul(p, x, 0, in, rows, y, 0, out, 0, p.panels(), false);
          for (int row = 0; row < rows; row++) {
            for (int o = 0; o < out; o++) {
              float got = y[row * out + o];
              assertEquals(chain(w, o, x, row * in), got, 0f, f + " " + out + "x" + in + " rows " + rows + " row " + row
                  + " out " + o);
              double ref = 0;
              for (int c = 0; c < in; c++) {
                ref += (double) weight(w, (long) o * in + c) * x[row * in + c];
              }
              assertEquals(ref, got, 1e-4 * Math.sqrt(in) + 1e-5);
            }
          }
        }
        }
      }
    }
  }

  @Test
  void aRowGetsTheSameBitsAloneInATileSplitPortablyOrAccumulated() {
    SplittableRandom r = new SplittableRandom(9);
    int out = 100, in = PanelKernels.KC + 77;
    for (PackedLinear.Format f : PackedLinear.Format.values()) {
      DType t = f == PackedLinear.Format.F32 ? DType.F32 : DType.BF16;
      PackedLinear p = PackedLinear.pack(random(t, out, in, r), arena, f);
      int rows = 17;
      // Rows at an offset and with a stride wider than the row, as the backend lays them out.
      int xs = in + 5;
      float[] x = gaussian(3 + rows * xs, r);
      float[] batch = new float[rows * out];
      PanelKernels.matmul(p, x, 3, xs, rows, batch, 0, out, 0, p.panels(), false);
      float[] portable = new float[rows * out];
      PanelKernels.matmul(p, InputRows.packed(x, 3, xs, rows, in), portable, 0, out, 0, p.panels(), false, false);
      assertArrayEquals(batch, portable, f + ": the portable loop");
      for (int row = 0; row < rows; row++) {
        float[] alone = new float[out];
        PanelKernels.matmul(p, x, 3 + row * xs, xs, 1, alone, 0, out, 0, p.panels(), false);
        assertArrayEquals(alone, Arrays.copyOfRange(batch, row * out, row * out + out), f + " row " + row);
        float[] split = new float[out];
        PanelKernels.matmul(p, x, 3 + row * xs, xs, 1, split, 0, out, 0, 1, false);
        PanelKernels.matmul(p, x, 3 + row * xs, xs, 1, split, 0, out, 1, p.panels(), false);
        assertArrayEquals(alone, split, f + " split over panels");
        float[] acc = gaussian(out, r);
        float[] expected = acc.clone();
        for (int o = 0; o < out; o++) {
          expected[o] += alone[o];
        }
        PanelKernels.matmul(p, x, 3 + row * xs, xs, 1, acc, 0, out, 0, p.panels(), true);
        assertArrayEquals(expected, acc, f + " accumulate adds the finished chain");
      }
    }
  }

  @Test
  void compiledKernelsAllocateNothing() {
    var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    SplittableRandom r = new SplittableRandom(1);
    for (PackedLinear.Format f : PackedLinear.Format.values()) {
     // INT8 quantizes any source type; the other formats take their own.
     DType[] sources = f == PackedLinear.Format.INT8 ? new DType[] {DType.BF16, DType.F32}
         : new DType[] {f == PackedLinear.Format.F32 ? DType.F32 : DType.BF16};
     for (DType t : sources) {
      PackedLinear p = PackedLinear.pack(random(t, 64, 256, r), arena, f);
      for (int rows : new int[] {1, 17}) {
        InputRows in = InputRows.packed(new float[rows * 256], 0, 256, rows, 256);
        float[] y = new float[rows * 64];
        long perCall = Long.MAX_VALUE;
        for (int round = 0; round < 20 && perCall > 16; round++) {
          for (int i = 0; i < 3000; i++) {
            PanelKernels.matmul(p, in, y, 0, 64, 0, 2, false);
          }
          long before = threads.getCurrentThreadAllocatedBytes();
          for (int i = 0; i < 200; i++) {
            PanelKernels.matmul(p, in, y, 0, 64, 0, 2, false);
          }
          perCall = (threads.getCurrentThreadAllocatedBytes() - before) / 200;
        }
        assertEquals(0, perCall, t + " as " + f + " rows " + rows + " allocates " + perCall + " bytes per call");
      }
     }
    }
  }

  // ---------------------------------------------------------------- int8 panels

  /** The int8 definition: one FMA chain over k of (float) code * x, from zero, times the output's scale. */
  private static float int8Chain(PackedLinear p, int o, float[] x, int xo) {
    float acc = 0f;
    for (int k = 0; k < p.cols(); k++) {
      acc = Math.fma((float) p.code(o, k), x[xo + k], acc);
    }
    return acc * p.scales()[o];
  }

  @Test
  void int8PanelsHoldEachRowsCodesAndScaleAsTheQuantizerMakesThem() {
    SplittableRandom r = new SplittableRandom(17);
    for (DType t : DType.values()) {
      for (int[] shape : new int[][] {{37, 100}, {33, 7}, {64, 64}}) {
        int out = shape[0], in = shape[1];
        Linear w = random(t, out, in, r);
        PackedLinear p = PackedLinear.pack(w, arena, Quantization.INT8);
        assertEquals(PackedLinear.Format.INT8, p.format());
        assertEquals((long) p.panels() * PackedLinear.PANEL * in + 4L * p.panels() * PackedLinear.PANEL, p.bytes());
        byte[] codes = new byte[out * in];
        float[] scales = new float[out];
        Int8Quantizer.quantizeRows(w, 0, out, codes, scales);
        for (int o = 0; o < out; o++) {
          assertEquals(scales[o], p.scales()[o], 0f, "scale " + o);
          for (int k = 0; k < in; k++) {
            assertEquals(codes[o * in + k], p.code(o, k), "code " + o + "," + k);
            assertEquals(codes[o * in + k] * scales[o], p.weight(o, k), 0f);
          }
        }
        for (int o = out; o < p.panels() * PackedLinear.PANEL; o++) {
          assertEquals(0f, p.scales()[o], "padding scale");
          assertEquals(0, p.code(o, 0), "padding code");
        }
      }
    }
  }

  @Test
  void int8OutputsAreTheScaledFmaChainToTheBitForEveryTileAndKBlock() {
    SplittableRandom r = new SplittableRandom(19);
    // A partial last panel, k over a k-block (the chain is stored and reloaded, the scale applied once at
    // the end), odd k, more panels than a group.
    for (int[] shape : new int[][] {{37, 100}, {70, PanelKernels.KC + 77}, {33, 7}, {300, 600}}) {
      int out = shape[0], in = shape[1];
      Linear w = random(DType.BF16, out, in, r);
      PackedLinear p = PackedLinear.pack(w, arena, Quantization.INT8);
      for (int rows : new int[] {1, 3, 4, 12, 13, 29}) {
        float[] x = gaussian(rows * in, r);
        float[] y = new float[rows * out];
        PanelKernels.matmul(p, x, 0, in, rows, y, 0, out, 0, p.panels(), false);
        for (int row = 0; row < rows; row++) {
          for (int o = 0; o < out; o++) {
            float got = y[row * out + o];
            assertEquals(int8Chain(p, o, x, row * in), got, 0f, out + "x" + in + " rows " + rows + " row " + row
                + " out " + o);
            // And close to the unquantized product: each weight is off by at most scale / 2.
            double ref = 0;
            double bound = 0;
            for (int c = 0; c < in; c++) {
              ref += (double) weight(w, (long) o * in + c) * x[row * in + c];
              bound += 0.5 * p.scales()[o] * Math.abs(x[row * in + c]);
            }
            assertEquals(ref, got, bound * 1.001 + 1e-4 * Math.sqrt(in));
          }
        }
      }
    }
  }

  @Test
  void anInt8RowGetsTheSameBitsAloneInATileSplitPortablyOrAccumulated() {
    SplittableRandom r = new SplittableRandom(23);
    int out = 100, in = PanelKernels.KC + 77;
    PackedLinear p = PackedLinear.pack(random(DType.BF16, out, in, r), arena, Quantization.INT8);
    int rows = 17;
    int xs = in + 5;
    float[] x = gaussian(3 + rows * xs, r);
    float[] batch = new float[rows * out];
    PanelKernels.matmul(p, x, 3, xs, rows, batch, 0, out, 0, p.panels(), false);
    float[] portable = new float[rows * out];
    PanelKernels.matmul(p, InputRows.packed(x, 3, xs, rows, in), portable, 0, out, 0, p.panels(), false, false);
    assertArrayEquals(batch, portable, "the portable loop");
    for (int row = 0; row < rows; row++) {
      float[] alone = new float[out];
      PanelKernels.matmul(p, x, 3 + row * xs, xs, 1, alone, 0, out, 0, p.panels(), false);
      assertArrayEquals(alone, Arrays.copyOfRange(batch, row * out, row * out + out), "row " + row);
      float[] split = new float[out];
      PanelKernels.matmul(p, x, 3 + row * xs, xs, 1, split, 0, out, 0, 1, false);
      PanelKernels.matmul(p, x, 3 + row * xs, xs, 1, split, 0, out, 1, p.panels(), false);
      assertArrayEquals(alone, split, "split over panels");
      float[] acc = gaussian(out, r);
      float[] expected = acc.clone();
      for (int o = 0; o < out; o++) {
        expected[o] += alone[o];
      }
      PanelKernels.matmul(p, x, 3 + row * xs, xs, 1, acc, 0, out, 0, p.panels(), true);
      assertArrayEquals(expected, acc, "accumulate adds the finished, scaled chain");
    }
  }
}
