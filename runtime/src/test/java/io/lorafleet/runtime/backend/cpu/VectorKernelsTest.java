package io.lorafleet.runtime.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
  void loraShrinkAndExpandMatchTheirDefinitions() {
    SplittableRandom r = new SplittableRandom(13);
    for (int[] dims : new int[][] {{16, 2048 + 3, 2048 + 5}, {4, 128, 352}, {8, 352, 128}, {3, 37, 70}}) {
      int rank = dims[0], in = dims[1], out = dims[2];
      float[] a = new float[rank * in];
      float[] bt = new float[rank * out];
      float[] x = new float[in + 2];
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) r.nextGaussian();
      }
      for (int i = 0; i < bt.length; i++) {
        bt[i] = (float) r.nextGaussian();
      }
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) r.nextGaussian();
      }
      float[] t = new float[rank];
      VectorKernels.loraShrink(a, rank, in, x, 2, t, 0, 0.5f);
      for (int j = 0; j < rank; j++) {
        // The shrink is the kernels' dot product, scaled.
        assertEquals(Float.floatToIntBits(VectorKernels.dot(a, j * in, x, 2, in) * 0.5f), Float.floatToIntBits(t[j]));
        double ref = 0;
        for (int c = 0; c < in; c++) {
          ref += (double) a[j * in + c] * x[2 + c];
        }
        assertEquals(ref * 0.5, t[j], 1e-4 * Math.sqrt(in));
      }
      float[] y = new float[out + 1];
      for (int i = 0; i < y.length; i++) {
        y[i] = (float) r.nextGaussian();
      }
      float[] expected = y.clone();
      for (int o = 0; o < out; o++) {
        float acc = 0f;
        for (int j = 0; j < rank; j++) {
          acc = Math.fma(bt[j * out + o], t[j], acc);
        }
        expected[1 + o] += acc;
      }
      VectorKernels.loraExpand(bt, rank, out, t, 0, y, 1);
      assertArrayEquals(expected, y, "rank " + rank + " out " + out);
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
    // KV head 1 of 2 (32 dims) over 21 positions in blocks of 16 with a scrambled block table.
    int hd = 32, kvHeads = 2, kvDim = 64, ctx = 21, bs = 16;
    int[] table = {2, 0};
    float[] k = new float[3 * bs * kvDim], v = new float[3 * bs * kvDim], q = new float[hd];
    for (int i = 0; i < k.length; i++) {
      k[i] = (float) r.nextGaussian();
      v[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < hd; i++) {
      q[i] = (float) r.nextGaussian();
    }
    for (int blockSize : new int[] {bs, 7}) {
      float[] out = new float[hd];
      int padded = (ctx + blockSize - 1) / blockSize * blockSize;
      int[] tbl = blockSize == bs ? table : new int[] {4, 1, 5, 0};
      VectorKernels.attendHead(q, 0, k, v, tbl, blockSize, kvHeads, 1, hd, ctx, 0.2f, new float[padded], out, 0);
      double[] s = new double[ctx];
      double max = Double.NEGATIVE_INFINITY, sum = 0;
      for (int p = 0; p < ctx; p++) {
        int block = tbl[p / blockSize];
        for (int i = 0; i < hd; i++) {
          s[p] += q[i] * (double) k[VectorKernels.kIndex(block, 1, i, p % blockSize, kvHeads, hd, blockSize)];
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
          ref += s[p] / sum * v[(tbl[p / blockSize] * blockSize + p % blockSize) * kvDim + hd + i];
        }
        assertEquals(ref, out[i], 1e-5, "block size " + blockSize);
      }
    }
  }

  @Test
  void fourHeadsAtOnceGiveTheBitsOfOneHeadAtATime() {
    SplittableRandom r = new SplittableRandom(17);
    int hd = 64, kvHeads = 2, kvDim = kvHeads * hd, bs = 16, blocks = 6;
    float[] k = new float[blocks * bs * kvDim], v = new float[blocks * bs * kvDim], q = new float[8 * hd];
    for (int i = 0; i < k.length; i++) {
      k[i] = (float) r.nextGaussian();
      v[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < q.length; i++) {
      q[i] = (float) r.nextGaussian();
    }
    int[] table = {4, 1, 5, 0, 2, 3};
    assertTrue(VectorKernels.attendHeads4Fits(bs, hd));
    // Contexts within one block, at a block edge, across an odd number of blocks and all of them.
    for (int ctx : new int[] {1, 7, 16, 17, 40, 48, 96}) {
      int padded = (ctx + bs - 1) / bs * bs;
      float[] four = new float[8 * hd];
      VectorKernels.attendHeads4(q, 4 * hd, k, v, table, bs, kvHeads, 1, hd, ctx, 0.125f, new float[4 * padded], four,
          4 * hd);
      float[] one = new float[8 * hd];
      for (int h = 4; h < 8; h++) {
        VectorKernels.attendHead(q, h * hd, k, v, table, bs, kvHeads, 1, hd, ctx, 0.125f, new float[padded], one,
            h * hd);
      }
      assertArrayEquals(one, four, "context " + ctx);
    }
  }

  @Test
  void expIsAccurateAndTheSameInLanesAndScalars() {
    SplittableRandom r = new SplittableRandom(3);
    int n = 4096;
    float[] xs = new float[n];
    for (int i = 0; i < n; i++) {
      xs[i] = (float) (r.nextDouble() * 180 - 90);
    }
    xs[0] = 0f;
    xs[1] = -100f;
    xs[2] = -87.5f;
    float[] gate = xs.clone();
    float[] ones = new float[n];
    java.util.Arrays.fill(ones, 1f);
    VectorKernels.siluMul(gate, ones, 0, n);
    for (int i = 0; i < n; i++) {
      float e = VectorKernels.exp(xs[i]);
      double ref = Math.exp(xs[i]);
      if (xs[i] > -87.3f && xs[i] < 88.3f) {
        assertEquals(ref, e, 2.5 * Math.ulp((float) ref), "exp(" + xs[i] + ")");
      } else {
        assertEquals(true, e >= 0 && Float.isFinite(e));
      }
      // The vector path (lanes) and the scalar tail compute silu identically.
      float scalar = xs[i] / (VectorKernels.exp(-xs[i]) + 1f);
      assertEquals(Float.floatToIntBits(scalar), Float.floatToIntBits(gate[i]), "silu(" + xs[i] + ")");
    }
  }

  @Test
  void compiledLoraKernelsAllocateNothing() {
    // Vectors the JIT cannot keep in registers are boxed on the heap: a silent 5x slowdown. Once compiled,
    // the kernels must not allocate (a few rounds of warm-up give the JIT time, even on a busy machine).
    var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    float[] a = new float[16 * 256], bt = new float[16 * 200], x = new float[256], t = new float[16], y = new float[200];
    long perCall = Long.MAX_VALUE;
    for (int round = 0; round < 20 && perCall > 16; round++) {
      for (int i = 0; i < 5000; i++) {
        VectorKernels.loraShrink(a, 16, 256, x, 0, t, 0, 2f);
        VectorKernels.loraExpand(bt, 16, 200, t, 0, y, 0);
      }
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < 200; i++) {
        VectorKernels.loraShrink(a, 16, 256, x, 0, t, 0, 2f);
        VectorKernels.loraExpand(bt, 16, 200, t, 0, y, 0);
      }
      perCall = (threads.getCurrentThreadAllocatedBytes() - before) / 200;
    }
    assertEquals(0, perCall, "the LoRA kernels allocate " + perCall + " bytes per call");
  }
}
