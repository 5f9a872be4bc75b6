package io.lorafleet.runtime.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lorafleet.runtime.format.DType;
import io.lorafleet.runtime.format.SafetensorsWriter;
import io.lorafleet.runtime.model.Linear;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The kernels against scalar double-precision references, and their paths against each other. */
class VectorKernelsTest {
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

  @Test
  void matmulMatchesADoubleReferenceForEveryTypeAndShape() {
    SplittableRandom r = new SplittableRandom(5);
    for (DType t : DType.values()) {
      for (int[] shape : new int[][] {{37, 100}, {64, 128}, {5, 16}, {9, 4}, {33, 352}}) {
        int out = shape[0], in = shape[1];
        Linear w = random(t, out, in, r);
        for (int rows : new int[] {1, 3, 4, 7, 12}) {
          float[] x = new float[rows * in];
          for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
          }
          float[] y = new float[rows * out];
          VectorKernels.matmul(w, x, 0, in, rows, y, 0, out, 0, out, false);
          for (int row = 0; row < rows; row++) {
            for (int o = 0; o < out; o++) {
              double ref = 0;
              for (int c = 0; c < in; c++) {
                ref += (double) weight(w, (long) o * in + c) * x[row * in + c];
              }
              assertEquals(ref, y[row * out + o], 1e-4 * Math.sqrt(in) + 1e-5, t + " " + out + "x" + in + " rows " + rows);
            }
          }
        }
      }
    }
  }

  @Test
  void aRowGetsTheSameBitsAloneInATileOrAtAnOffset() {
    SplittableRandom r = new SplittableRandom(9);
    int out = 45, in = 2 * VectorKernels.lanes() * 5 + 3;
    for (DType t : DType.values()) {
      Linear w = random(t, out, in, r);
      float[] x = new float[9 * in];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) r.nextGaussian();
      }
      float[] batch = new float[9 * out];
      VectorKernels.matmul(w, x, 0, in, 9, batch, 0, out, 0, out, false);
      for (int row = 0; row < 9; row++) {
        float[] alone = new float[out];
        VectorKernels.matmul(w, x, row * in, in, 1, alone, 0, out, 0, out, false);
        float[] got = java.util.Arrays.copyOfRange(batch, row * out, row * out + out);
        assertArrayEquals(alone, got, t + " row " + row);
        // Split over output ranges as the worker pool does.
        float[] split = new float[out];
        VectorKernels.matmul(w, x, row * in, in, 1, split, 0, out, 0, 13, false);
        VectorKernels.matmul(w, x, row * in, in, 1, split, 0, out, 13, out, false);
        assertArrayEquals(alone, split);
      }
    }
  }

  @Test
  void f16AndBf16WidenExactlyForEveryBitPattern() {
    MemorySegment seg = arena.allocate(2L * 65536, 64);
    for (int i = 0; i < 65536; i++) {
      seg.set(SHORT, 2L * i, (short) i);
    }
    float[] out = new float[65536];
    VectorKernels.widen(new Linear("h", DType.F16, 1, 65536, seg), 0, out, 0, 65536);
    for (int i = 0; i < 65536; i++) {
      float ref = Float.float16ToFloat((short) i);
      assertEquals(Float.floatToRawIntBits(ref), Float.floatToRawIntBits(out[i]), "f16 bits " + Integer.toHexString(i));
    }
    VectorKernels.widen(new Linear("b", DType.BF16, 1, 65536, seg), 0, out, 0, 65536);
    for (int i = 0; i < 65536; i++) {
      assertEquals(i << 16, Float.floatToRawIntBits(out[i]), "bf16 bits " + Integer.toHexString(i));
    }
  }

  @Test
  void rmsNormAndAttentionMatchScalarReferences() {
    SplittableRandom r = new SplittableRandom(11);
    int n = 77;
    float[] x = new float[n], w = new float[n], y = new float[n];
    double ss = 0;
    for (int i = 0; i < n; i++) {
      x[i] = (float) r.nextGaussian();
      w[i] = (float) r.nextGaussian();
      ss += (double) x[i] * x[i];
    }
    VectorKernels.rmsNorm(x, 0, w, 1e-5f, y, 0, n);
    for (int i = 0; i < n; i++) {
      assertEquals(x[i] * w[i] / Math.sqrt(ss / n + 1e-5), y[i], 1e-5);
    }
    // One head of 32 over 21 positions in blocks of 4 with a scrambled block table.
    int hd = 32, kvDim = 64, ctx = 21, bs = 4;
    int[] table = {5, 0, 3, 1, 4, 2};
    float[] k = new float[6 * bs * kvDim], v = new float[6 * bs * kvDim], q = new float[hd];
    for (int i = 0; i < k.length; i++) {
      k[i] = (float) r.nextGaussian();
      v[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < hd; i++) {
      q[i] = (float) r.nextGaussian();
    }
    float[] out = new float[hd];
    VectorKernels.attendHead(q, 0, k, v, table, bs, kvDim, hd, hd, ctx, 0.2f, new float[ctx], out, 0);
    double[] s = new double[ctx];
    double max = Double.NEGATIVE_INFINITY, sum = 0;
    for (int p = 0; p < ctx; p++) {
      int base = (table[p / bs] * bs + p % bs) * kvDim + hd;
      for (int i = 0; i < hd; i++) {
        s[p] += q[i] * (double) k[base + i];
      }
      s[p] *= 0.2;
      max = Math.max(max, s[p]);
    }
    for (int p = 0; p < ctx; p++) {
      s[p] = Math.exp(s[p] - max);
      sum += s[p];
    }
    for (int i = 0; i < hd; i++) {
      double ref = 0;
      for (int p = 0; p < ctx; p++) {
        ref += s[p] / sum * v[(table[p / bs] * bs + p % bs) * kvDim + hd + i];
      }
      assertEquals(ref, out[i], 1e-5);
    }
  }
}
