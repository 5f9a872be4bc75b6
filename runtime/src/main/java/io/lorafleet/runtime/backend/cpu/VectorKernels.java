package io.lorafleet.runtime.backend.cpu;

import io.lorafleet.runtime.format.DType;
import io.lorafleet.runtime.model.Linear;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU hot loops, vectorized with the Vector API. Weights stay in their stored type (BF16, F16 or F32)
 * and are widened to float in registers; activations are float32.
 *
 * The projections run in {@link PanelKernels}; these are the other loops: norms, SiLU, attention, the
 * embedding gather and the LoRA shrink/expand.
 *
 * <p>Determinism: every dot product of length {@code n} is computed the same way wherever it appears: one
 * vector accumulator fed the vector chunks in order by FMA, its lanes summed by a fixed butterfly, then
 * the scalar tail added in order. Kernels that run several dot products side by side never change the
 * arithmetic of one, so a row's output does not depend on the batch around it.
 */
public final class VectorKernels {
  static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
  static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
  static final int L = F.length();

  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
  private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

  private static final int BF16 = 0;
  private static final int F16 = 1;
  private static final int F32 = 2;

  private VectorKernels() {}

  /** Vector lanes of float32 on this machine. */
  public static int lanes() {
    return L;
  }

  // ---------------------------------------------------------------- weight loads (widened in registers)

  private static int kind(DType t) {
    return switch (t) {
      case BF16 -> BF16;
      case F16 -> F16;
      case F32 -> F32;
    };
  }

  /** IEEE half to float for a vector of lanes: exact for normals, subnormals, infinities and NaN. */
  private static FloatVector f16(MemorySegment w, long byteOff) {
    ShortVector s = ShortVector.fromMemorySegment(S, w, byteOff, LE);
    IntVector h = (IntVector) s.convertShape(VectorOperators.S2I, I, 0);
    IntVector mag = h.and(0x7fff);
    IntVector shifted = mag.lanewise(VectorOperators.LSHL, 13);
    FloatVector finite = shifted.reinterpretAsFloats().mul(0x1p112f);
    VectorMask<Integer> infNan = mag.compare(VectorOperators.GE, 0x7c00);
    IntVector bits = finite.reinterpretAsInts().blend(shifted.or(0x7f800000), infNan);
    // NaNs come out quiet, as Float.float16ToFloat makes them.
    bits = bits.blend(bits.or(0x00400000), mag.compare(VectorOperators.GT, 0x7c00));
    IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
    return bits.or(sign).reinterpretAsFloats();
  }

  private static float loadScalar(int kind, MemorySegment w, long byteOff) {
    return switch (kind) {
      case BF16 -> Float.intBitsToFloat((w.get(SHORT, byteOff) & 0xffff) << 16);
      case F16 -> Float.float16ToFloat(w.get(SHORT, byteOff));
      default -> w.get(FLOAT, byteOff);
    };
  }

  /** Widens {@code n} elements of {@code w} from element {@code start} into {@code out[outOff..]}. */
  public static void widen(Linear w, long start, float[] out, int outOff, int n) {
    MemorySegment seg = w.data();
    int c = 0;
    // One loop per type, so each loop body is a single inlined load (a shared switch defeats inlining
    // and boxes every vector).
    switch (w.dtype()) {
      case BF16 -> {
        for (; c + L <= n; c += L) {
          bf16(seg, (start + c) * 2).intoArray(out, outOff + c);
        }
      }
      case F16 -> {
        for (; c + L <= n; c += L) {
          f16(seg, (start + c) * 2).intoArray(out, outOff + c);
        }
      }
      case F32 -> {
        for (; c + L <= n; c += L) {
          FloatVector.fromMemorySegment(F, seg, (start + c) * 4, LE).intoArray(out, outOff + c);
        }
      }
    }
    int kind = kind(w.dtype());
    long eb = w.dtype().bytes();
    for (; c < n; c++) {
      out[outOff + c] = loadScalar(kind, seg, (start + c) * eb);
    }
  }

  // ---------------------------------------------------------------- fixed-order reductions

  /** Levels of the butterfly that sums {@link #L} lanes. */
  private static final int LEVELS = Integer.numberOfTrailingZeros(L);
  // One constant per level (up to 16 lanes) so the JIT sees each shuffle as a constant and allocates nothing.
  private static final jdk.incubator.vector.VectorShuffle<Float> B0 = butterfly(0);
  private static final jdk.incubator.vector.VectorShuffle<Float> B1 = butterfly(1);
  private static final jdk.incubator.vector.VectorShuffle<Float> B2 = butterfly(2);
  private static final jdk.incubator.vector.VectorShuffle<Float> B3 = butterfly(3);

  /** Level k pairs lane i with lane i ^ (L >> (k + 1)); levels past the last are the identity. */
  private static jdk.incubator.vector.VectorShuffle<Float> butterfly(int k) {
    int step = k < LEVELS ? L >> (k + 1) : 0;
    return jdk.incubator.vector.VectorShuffle.fromOp(F, i -> i ^ step);
  }

  /**
   * Sum of the lanes by a fixed butterfly of lane-wise adds. Unlike {@code reduceLanes(ADD)}, whose order
   * may differ between the interpreter and compiled code, this gives the same bits everywhere.
   */
  private static float sumLanes(FloatVector v) {
    if (LEVELS > 4) {
      return sumLanesWide(v);
    }
    if (LEVELS > 0) {
      v = v.add(v.rearrange(B0));
    }
    if (LEVELS > 1) {
      v = v.add(v.rearrange(B1));
    }
    if (LEVELS > 2) {
      v = v.add(v.rearrange(B2));
    }
    if (LEVELS > 3) {
      v = v.add(v.rearrange(B3));
    }
    return v.lane(0);
  }

  /** The same butterfly for vectors of more than 16 float lanes (none ship today). */
  private static float sumLanesWide(FloatVector v) {
    for (int k = 0; k < LEVELS; k++) {
      int step = L >> (k + 1);
      v = v.add(v.rearrange(jdk.incubator.vector.VectorShuffle.fromOp(F, i -> i ^ step)));
    }
    return v.lane(0);
  }

  /** Dot product of two float arrays with the fixed accumulation order described above. */
  public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
    FloatVector acc = FloatVector.zero(F);
    int c = 0;
    for (; c + L <= n; c += L) {
      acc = FloatVector.fromArray(F, a, aOff + c).fma(FloatVector.fromArray(F, b, bOff + c), acc);
    }
    float tail = 0f;
    for (; c < n; c++) {
      tail += a[aOff + c] * b[bOff + c];
    }
    return sumLanes(acc) + tail;
  }

  // ---------------------------------------------------------------- LoRA

  /**
   * LoRA shrink of one input row: {@code t[tOff + j] = scale * dot(A[j], x[xOff ..])} for {@code j < rank},
   * {@code A} row-major {@code [rank, in]}; each dot as {@link #dot} computes it (four rows of {@code A}
   * share each load of {@code x}).
   */
  public static void loraShrink(float[] a, int rank, int in, float[] x, int xOff, float[] t, int tOff, float scale) {
    int j = 0;
    for (; j + 4 <= rank; j += 4) {
      int p0 = j * in, p1 = p0 + in, p2 = p1 + in, p3 = p2 + in;
      FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
      int c = 0;
      for (; c + L <= in; c += L) {
        FloatVector xv = FloatVector.fromArray(F, x, xOff + c);
        a0 = FloatVector.fromArray(F, a, p0 + c).fma(xv, a0);
        a1 = FloatVector.fromArray(F, a, p1 + c).fma(xv, a1);
        a2 = FloatVector.fromArray(F, a, p2 + c).fma(xv, a2);
        a3 = FloatVector.fromArray(F, a, p3 + c).fma(xv, a3);
      }
      float t0 = 0f, t1 = 0f, t2 = 0f, t3 = 0f;
      for (; c < in; c++) {
        float xv = x[xOff + c];
        t0 += a[p0 + c] * xv;
        t1 += a[p1 + c] * xv;
        t2 += a[p2 + c] * xv;
        t3 += a[p3 + c] * xv;
      }
      t[tOff + j] = (sumLanes(a0) + t0) * scale;
      t[tOff + j + 1] = (sumLanes(a1) + t1) * scale;
      t[tOff + j + 2] = (sumLanes(a2) + t2) * scale;
      t[tOff + j + 3] = (sumLanes(a3) + t3) * scale;
    }
    for (; j < rank; j++) {
      t[tOff + j] = dot(a, j * in, x, xOff, in) * scale;
    }
  }

  /**
   * LoRA expand of one row: {@code y[yOff + o] += sum_j t[tOff + j] * bt[j * out + o]} with {@code bt} the
   * transposed B, {@code [rank, out]}: each output's sum is one FMA chain over {@code j} in order from zero,
   * vectorized across outputs, then added to {@code y}.
   */
  public static void loraExpand(float[] bt, int rank, int out, float[] t, int tOff, float[] y, int yOff) {
    int o = 0;
    for (; o + 4 * L <= out; o += 4 * L) {
      FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
      for (int j = 0; j < rank; j++) {
        FloatVector tj = FloatVector.broadcast(F, t[tOff + j]);
        int b = j * out + o;
        a0 = FloatVector.fromArray(F, bt, b).fma(tj, a0);
        a1 = FloatVector.fromArray(F, bt, b + L).fma(tj, a1);
        a2 = FloatVector.fromArray(F, bt, b + 2 * L).fma(tj, a2);
        a3 = FloatVector.fromArray(F, bt, b + 3 * L).fma(tj, a3);
      }
      FloatVector.fromArray(F, y, yOff + o).add(a0).intoArray(y, yOff + o);
      FloatVector.fromArray(F, y, yOff + o + L).add(a1).intoArray(y, yOff + o + L);
      FloatVector.fromArray(F, y, yOff + o + 2 * L).add(a2).intoArray(y, yOff + o + 2 * L);
      FloatVector.fromArray(F, y, yOff + o + 3 * L).add(a3).intoArray(y, yOff + o + 3 * L);
    }
    for (; o + L <= out; o += L) {
      FloatVector a0 = FloatVector.zero(F);
      for (int j = 0; j < rank; j++) {
        a0 = FloatVector.fromArray(F, bt, j * out + o).fma(FloatVector.broadcast(F, t[tOff + j]), a0);
      }
      FloatVector.fromArray(F, y, yOff + o).add(a0).intoArray(y, yOff + o);
    }
    for (; o < out; o++) {
      float acc = 0f;
      for (int j = 0; j < rank; j++) {
        acc = Math.fma(bt[j * out + o], t[tOff + j], acc);
      }
      y[yOff + o] += acc;
    }
  }

  private static FloatVector bf16(MemorySegment w, long byteOff) {
    ShortVector s = ShortVector.fromMemorySegment(S, w, byteOff, LE);
    IntVector i = (IntVector) s.convertShape(VectorOperators.S2I, I, 0);
    return i.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
  }

  // ---------------------------------------------------------------- exponential

  private static final float LOG2E = 1.44269504088896341f;
  private static final float LN2_HI = 0.693359375f;
  private static final float LN2_LO = -2.12194440e-4f;
  private static final float ROUND = 12582912f; // 1.5 * 2^23: adding it rounds to an integer
  private static final float EXP_MIN = -87.33654f;
  private static final float EXP_MAX = 88.37626f;
  private static final float P0 = 1.9875691500e-4f;
  private static final float P1 = 1.3981999507e-3f;
  private static final float P2 = 8.3334519073e-3f;
  private static final float P3 = 4.1665795894e-2f;
  private static final float P4 = 1.6666665459e-1f;
  private static final float P5 = 5.0000001201e-1f;

  /**
   * {@code e^x} in float (within about 1 ulp): range reduction by ln 2 and a degree-7 polynomial, written
   * with the same IEEE operations as {@link #exp(FloatVector)} so that lanes and scalar tails agree, and so
   * that interpreted and compiled code give the same bits (unlike {@code Math.exp}, which is only
   * specified to 1 ulp and is intrinsified differently).
   */
  public static float exp(float x) {
    x = Math.min(Math.max(x, EXP_MIN), EXP_MAX);
    float n = (x * LOG2E + ROUND) - ROUND;
    float r = Math.fma(n, -LN2_HI, x);
    r = Math.fma(n, -LN2_LO, r);
    float z = r * r;
    float y = Math.fma(P0, r, P1);
    y = Math.fma(y, r, P2);
    y = Math.fma(y, r, P3);
    y = Math.fma(y, r, P4);
    y = Math.fma(y, r, P5);
    y = Math.fma(y, z, r) + 1f;
    return y * Float.intBitsToFloat(((int) n + 127) << 23);
  }

  /** Lane-wise {@link #exp(float)}. */
  static FloatVector exp(FloatVector x) {
    x = x.max(EXP_MIN).min(EXP_MAX);
    FloatVector n = x.mul(LOG2E).add(ROUND).sub(ROUND);
    FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), x);
    r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
    FloatVector z = r.mul(r);
    FloatVector y = FloatVector.broadcast(F, P0).fma(r, FloatVector.broadcast(F, P1));
    y = y.fma(r, FloatVector.broadcast(F, P2));
    y = y.fma(r, FloatVector.broadcast(F, P3));
    y = y.fma(r, FloatVector.broadcast(F, P4));
    y = y.fma(r, FloatVector.broadcast(F, P5));
    y = y.fma(z, r).add(1f);
    IntVector pow2 = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
    return y.mul(pow2.reinterpretAsFloats());
  }

  // ---------------------------------------------------------------- element-wise

  /** {@code out = x * weight / sqrt(mean(x^2) + eps)} over {@code n} elements. */
  public static void rmsNorm(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int n) {
    float ss = dot(x, xOff, x, xOff, n);
    float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
    int c = 0;
    for (; c + L <= n; c += L) {
      FloatVector.fromArray(F, x, xOff + c).mul(inv).mul(FloatVector.fromArray(F, weight, c)).intoArray(out, outOff + c);
    }
    for (; c < n; c++) {
      out[outOff + c] = x[xOff + c] * inv * weight[c];
    }
  }

  /** {@code y[yOff..] += x[xOff..]} over {@code n} elements. */
  public static void addInPlace(float[] y, int yOff, float[] x, int xOff, int n) {
    int c = 0;
    for (; c + L <= n; c += L) {
      FloatVector.fromArray(F, y, yOff + c).add(FloatVector.fromArray(F, x, xOff + c)).intoArray(y, yOff + c);
    }
    for (; c < n; c++) {
      y[yOff + c] += x[xOff + c];
    }
  }

  /** {@code gate[i] = silu(gate[i]) * up[i]} over {@code n} elements ({@code silu(g) = g / (1 + e^-g)}). */
  public static void siluMul(float[] gate, float[] up, int off, int n) {
    int c = off;
    int end = off + n;
    for (; c + L <= end; c += L) {
      FloatVector g = FloatVector.fromArray(F, gate, c);
      FloatVector silu = g.div(exp(g.neg()).add(1f));
      silu.mul(FloatVector.fromArray(F, up, c)).intoArray(gate, c);
    }
    for (; c < end; c++) {
      float g = gate[c];
      gate[c] = g / (exp(-g) + 1f) * up[c];
    }
  }

  // ---------------------------------------------------------------- attention

  /**
   * Where K of (block, kv head, dim, offset in the block) lives in the K cache: each block holds, per KV head, a
   * {@code [headDim][blockSize]} tile (transposed), so the scores of consecutive positions are lanes of
   * one vector and need no horizontal sums.
   */
  public static int kIndex(int block, int kvHead, int dim, int offset, int kvHeads, int headDim, int blockSize) {
    return ((block * kvHeads + kvHead) * headDim + dim) * blockSize + offset;
  }

  /**
   * One query head attending over positions {@code [0, ctx)} of a paged KV cache. K is laid out as
   * {@link #kIndex}; V holds {@code kvDim} floats per token, token {@code p} in block
   * {@code blockTable[p / blockSize]} at offset {@code p % blockSize}, this head's values at {@code kvHead *
   * headDim}. Each score is {@code sum_d q[d] * k[d]} accumulated in order of {@code d}, whatever the
   * context length; {@code scores} is scratch of at least {@code ctx} rounded up to a block.
   */
  public static void attendHead(float[] q, int qOff, float[] kCache, float[] vCache, int[] blockTable, int blockSize,
      int kvHeads, int kvHead, int headDim, int ctx, float scale, float[] scores, float[] out, int outOff) {
    int blocks = (ctx + blockSize - 1) / blockSize;
    if (blockSize % L == 0) {
      for (int s = 0; s < blockSize; s += L) {
        int i = 0;
        // Four blocks at a time share each broadcast of q[d]; every score is still sum_d in order of d.
        for (; i + 4 <= blocks; i += 4) {
          int b0 = kIndex(blockTable[i], kvHead, 0, s, kvHeads, headDim, blockSize);
          int b1 = kIndex(blockTable[i + 1], kvHead, 0, s, kvHeads, headDim, blockSize);
          int b2 = kIndex(blockTable[i + 2], kvHead, 0, s, kvHeads, headDim, blockSize);
          int b3 = kIndex(blockTable[i + 3], kvHead, 0, s, kvHeads, headDim, blockSize);
          FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
          for (int d = 0; d < headDim; d++) {
            FloatVector qd = FloatVector.broadcast(F, q[qOff + d]);
            int o = d * blockSize;
            a0 = FloatVector.fromArray(F, kCache, b0 + o).fma(qd, a0);
            a1 = FloatVector.fromArray(F, kCache, b1 + o).fma(qd, a1);
            a2 = FloatVector.fromArray(F, kCache, b2 + o).fma(qd, a2);
            a3 = FloatVector.fromArray(F, kCache, b3 + o).fma(qd, a3);
          }
          a0.mul(scale).intoArray(scores, i * blockSize + s);
          a1.mul(scale).intoArray(scores, (i + 1) * blockSize + s);
          a2.mul(scale).intoArray(scores, (i + 2) * blockSize + s);
          a3.mul(scale).intoArray(scores, (i + 3) * blockSize + s);
        }
        for (; i < blocks; i++) {
          int b0 = kIndex(blockTable[i], kvHead, 0, s, kvHeads, headDim, blockSize);
          FloatVector a0 = FloatVector.zero(F);
          for (int d = 0; d < headDim; d++) {
            a0 = FloatVector.fromArray(F, kCache, b0 + d * blockSize).fma(FloatVector.broadcast(F, q[qOff + d]), a0);
          }
          a0.mul(scale).intoArray(scores, i * blockSize + s);
        }
      }
    } else {
      for (int i = 0; i < blocks; i++) {
        int base = kIndex(blockTable[i], kvHead, 0, 0, kvHeads, headDim, blockSize);
        for (int s = 0; s < blockSize; s++) {
          float acc = 0f;
          for (int d = 0; d < headDim; d++) {
            acc = Math.fma(kCache[base + d * blockSize + s], q[qOff + d], acc);
          }
          scores[i * blockSize + s] = acc * scale;
        }
      }
    }
    softmax(scores, 0, ctx);
    // out = sum_t w_t * V_t, accumulated in order of t, one vector of head dims at a time.
    int kvDim = kvHeads * headDim;
    int hOff = kvHead * headDim;
    int c = 0;
    for (; c + L <= headDim; c += L) {
      FloatVector acc = FloatVector.zero(F);
      for (int i = 0, t = 0; t < ctx; i++) {
        int row = blockTable[i] * blockSize;
        int end = Math.min(ctx, t + blockSize);
        for (int offset = 0; t < end; t++, offset++) {
          acc = FloatVector.fromArray(F, vCache, (row + offset) * kvDim + hOff + c)
              .fma(FloatVector.broadcast(F, scores[t]), acc);
        }
      }
      acc.intoArray(out, outOff + c);
    }
    for (; c < headDim; c++) {
      float acc = 0f;
      for (int t = 0; t < ctx; t++) {
        acc = Math.fma(vCache[(blockTable[t / blockSize] * blockSize + t % blockSize) * kvDim + hOff + c], scores[t], acc);
      }
      out[outOff + c] = acc;
    }
  }
  /** {@code scores[off .. off + ctx)} replaced by their softmax (max subtracted, exp, divided by the sum). */
  private static void softmax(float[] scores, int off, int ctx) {
    float max = Float.NEGATIVE_INFINITY;
    for (int t = 0; t < ctx; t++) {
      max = Math.max(max, scores[off + t]);
    }
    int p = 0;
    FloatVector sumv = FloatVector.zero(F);
    for (; p + L <= ctx; p += L) {
      FloatVector e = exp(FloatVector.fromArray(F, scores, off + p).sub(max));
      e.intoArray(scores, off + p);
      sumv = sumv.add(e);
    }
    float sum = sumLanes(sumv);
    for (; p < ctx; p++) {
      float e = exp(scores[off + p] - max);
      scores[off + p] = e;
      sum += e;
    }
    float inv = 1f / sum;
    for (int t = 0; t < ctx; t++) {
      scores[off + t] *= inv;
    }
  }

  /** Whether {@link #attendHeads4} takes these shapes. */
  public static boolean attendHeads4Fits(int blockSize, int headDim) {
    return blockSize % L == 0 && headDim % L == 0;
  }

  /**
   * {@link #attendHead} for four consecutive query heads that share one KV head ({@code q} and {@code out}
   * at {@code qOff + h * headDim}, {@code outOff + h * headDim}): each K and V vector is loaded once for the
   * four. Every score, weight and output is computed with exactly the operations of {@link #attendHead}, so
   * the bits are the same. {@code scores} holds at least four times {@code ctx} rounded up to a block.
   */
  public static void attendHeads4(float[] q, int qOff, float[] kCache, float[] vCache, int[] blockTable,
      int blockSize, int kvHeads, int kvHead, int headDim, int ctx, float scale, float[] scores, float[] out,
      int outOff) {
    int blocks = (ctx + blockSize - 1) / blockSize;
    int padded = blocks * blockSize;
    int q0 = qOff, q1 = qOff + headDim, q2 = qOff + 2 * headDim, q3 = qOff + 3 * headDim;
    int s1 = padded, s2 = 2 * padded, s3 = 3 * padded;
    for (int s = 0; s < blockSize; s += L) {
      int i = 0;
      for (; i + 2 <= blocks; i += 2) {
        int b0 = kIndex(blockTable[i], kvHead, 0, s, kvHeads, headDim, blockSize);
        int b1 = kIndex(blockTable[i + 1], kvHead, 0, s, kvHeads, headDim, blockSize);
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
        for (int d = 0; d < headDim; d++) {
          int o = d * blockSize;
          FloatVector k0 = FloatVector.fromArray(F, kCache, b0 + o);
          FloatVector k1 = FloatVector.fromArray(F, kCache, b1 + o);
          FloatVector qv = FloatVector.broadcast(F, q[q0 + d]);
          a00 = k0.fma(qv, a00);
          a01 = k1.fma(qv, a01);
          qv = FloatVector.broadcast(F, q[q1 + d]);
          a10 = k0.fma(qv, a10);
          a11 = k1.fma(qv, a11);
          qv = FloatVector.broadcast(F, q[q2 + d]);
          a20 = k0.fma(qv, a20);
          a21 = k1.fma(qv, a21);
          qv = FloatVector.broadcast(F, q[q3 + d]);
          a30 = k0.fma(qv, a30);
          a31 = k1.fma(qv, a31);
        }
        int t0 = i * blockSize + s, t1 = t0 + blockSize;
        a00.mul(scale).intoArray(scores, t0);
        a01.mul(scale).intoArray(scores, t1);
        a10.mul(scale).intoArray(scores, s1 + t0);
        a11.mul(scale).intoArray(scores, s1 + t1);
        a20.mul(scale).intoArray(scores, s2 + t0);
        a21.mul(scale).intoArray(scores, s2 + t1);
        a30.mul(scale).intoArray(scores, s3 + t0);
        a31.mul(scale).intoArray(scores, s3 + t1);
      }
      for (; i < blocks; i++) {
        int b0 = kIndex(blockTable[i], kvHead, 0, s, kvHeads, headDim, blockSize);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int d = 0; d < headDim; d++) {
          FloatVector k0 = FloatVector.fromArray(F, kCache, b0 + d * blockSize);
          a0 = k0.fma(FloatVector.broadcast(F, q[q0 + d]), a0);
          a1 = k0.fma(FloatVector.broadcast(F, q[q1 + d]), a1);
          a2 = k0.fma(FloatVector.broadcast(F, q[q2 + d]), a2);
          a3 = k0.fma(FloatVector.broadcast(F, q[q3 + d]), a3);
        }
        int t0 = i * blockSize + s;
        a0.mul(scale).intoArray(scores, t0);
        a1.mul(scale).intoArray(scores, s1 + t0);
        a2.mul(scale).intoArray(scores, s2 + t0);
        a3.mul(scale).intoArray(scores, s3 + t0);
      }
    }
    softmax(scores, 0, ctx);
    softmax(scores, s1, ctx);
    softmax(scores, s2, ctx);
    softmax(scores, s3, ctx);
    // out_h = sum_t w_h,t * V_t, in order of t, four heads sharing each load of V.
    int kvDim = kvHeads * headDim;
    int hOff = kvHead * headDim;
    for (int c = 0; c < headDim; c += L) {
      FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
      for (int i = 0, t = 0; t < ctx; i++) {
        int row = blockTable[i] * blockSize;
        int end = Math.min(ctx, t + blockSize);
        for (int slot = 0; t < end; t++, slot++) {
          FloatVector v = FloatVector.fromArray(F, vCache, (row + slot) * kvDim + hOff + c);
          a0 = v.fma(FloatVector.broadcast(F, scores[t]), a0);
          a1 = v.fma(FloatVector.broadcast(F, scores[s1 + t]), a1);
          a2 = v.fma(FloatVector.broadcast(F, scores[s2 + t]), a2);
          a3 = v.fma(FloatVector.broadcast(F, scores[s3 + t]), a3);
        }
      }
      a0.intoArray(out, outOff + c);
      a1.intoArray(out, outOff + headDim + c);
      a2.intoArray(out, outOff + 2 * headDim + c);
      a3.intoArray(out, outOff + 3 * headDim + c);
    }
  }

}
