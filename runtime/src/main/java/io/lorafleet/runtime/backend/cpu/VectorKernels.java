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
 * <p>Determinism: every dot product of length {@code n} is computed the same way wherever it appears: two
 * vector accumulators (even and odd vector chunks, a last odd chunk into the even one), added lane-wise,
 * lanes summed left to right, then the scalar tail added in order. The register-tiled variants below only
 * change which dot products run side by side, never the arithmetic of one, so a row's output does not
 * depend on the batch around it.
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

  private static FloatVector load(int kind, MemorySegment w, long byteOff) {
    if (kind == BF16) {
      ShortVector s = ShortVector.fromMemorySegment(S, w, byteOff, LE);
      IntVector i = (IntVector) s.convertShape(VectorOperators.S2I, I, 0);
      return i.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    } else if (kind == F32) {
      return FloatVector.fromMemorySegment(F, w, byteOff, LE);
    } else {
      return f16(w, byteOff);
    }
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
    int kind = kind(w.dtype());
    long eb = w.dtype().bytes();
    int c = 0;
    for (; c + L <= n; c += L) {
      load(kind, w.data(), (start + c) * eb).intoArray(out, outOff + c);
    }
    for (; c < n; c++) {
      out[outOff + c] = loadScalar(kind, w.data(), (start + c) * eb);
    }
  }

  // ---------------------------------------------------------------- fixed-order reductions

  private static float sumLanes(FloatVector v) {
    float s = 0f;
    for (int i = 0; i < L; i++) {
      s += v.lane(i);
    }
    return s;
  }

  private static float finish(FloatVector even, FloatVector odd, float tail) {
    return sumLanes(even.add(odd)) + tail;
  }

  /** Dot product of two float arrays with the fixed accumulation order described above. */
  public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
    FloatVector e = FloatVector.zero(F);
    FloatVector o = FloatVector.zero(F);
    int c = 0;
    for (; c + 2 * L <= n; c += 2 * L) {
      e = FloatVector.fromArray(F, a, aOff + c).fma(FloatVector.fromArray(F, b, bOff + c), e);
      o = FloatVector.fromArray(F, a, aOff + c + L).fma(FloatVector.fromArray(F, b, bOff + c + L), o);
    }
    if (c + L <= n) {
      e = FloatVector.fromArray(F, a, aOff + c).fma(FloatVector.fromArray(F, b, bOff + c), e);
      c += L;
    }
    float tail = 0f;
    for (; c < n; c++) {
      tail += a[aOff + c] * b[bOff + c];
    }
    return finish(e, o, tail);
  }

  // ---------------------------------------------------------------- matrix products

  /**
   * {@code y[yOff + t*yStride + o] (+)= W[o] · x[xOff + t*xStride ..]} for rows {@code t < rows} and
   * output features {@code o0 <= o < o1}; {@code W} is {@code [out, in]} with {@code in = w.cols()}.
   */
  public static void matmul(Linear w, float[] x, int xOff, int xStride, int rows,
      float[] y, int yOff, int yStride, int o0, int o1, boolean accumulate) {
    int kind = kind(w.dtype());
    MemorySegment seg = w.data();
    int n = w.cols();
    long rowBytes = (long) n * w.dtype().bytes();
    int eb = w.dtype().bytes();
    int quadRows = rows - rows % 4;
    // Blocks of x rows that stay in cache while a pair of weight rows streams over them.
    final int tBlock = 32;
    for (int tb = 0; tb < quadRows; tb += tBlock) {
      int te = Math.min(quadRows, tb + tBlock);
      int o = o0;
      for (; o + 2 <= o1; o += 2) {
        for (int t = tb; t < te; t += 4) {
          tile2x4(kind, seg, o * rowBytes, rowBytes, eb, n, x, xOff + t * xStride, xStride,
              y, yOff + t * yStride + o, yStride, accumulate);
        }
      }
      for (; o < o1; o++) {
        for (int t = tb; t < te; t++) {
          int yi = yOff + t * yStride + o;
          float d = dot1(kind, seg, o * rowBytes, eb, n, x, xOff + t * xStride);
          y[yi] = accumulate ? y[yi] + d : d;
        }
      }
    }
    for (int t = quadRows; t < rows; t++) {
      int xo = xOff + t * xStride;
      int yo = yOff + t * yStride;
      int o = o0;
      for (; o + 4 <= o1; o += 4) {
        tile4x1(kind, seg, o * rowBytes, rowBytes, eb, n, x, xo, y, yo + o, accumulate);
      }
      for (; o < o1; o++) {
        float d = dot1(kind, seg, o * rowBytes, eb, n, x, xo);
        y[yo + o] = accumulate ? y[yo + o] + d : d;
      }
    }
  }

  private static float dot1(int kind, MemorySegment w, long wb, int eb, int n, float[] x, int xo) {
    FloatVector e = FloatVector.zero(F);
    FloatVector o = FloatVector.zero(F);
    int c = 0;
    for (; c + 2 * L <= n; c += 2 * L) {
      e = load(kind, w, wb + (long) c * eb).fma(FloatVector.fromArray(F, x, xo + c), e);
      o = load(kind, w, wb + (long) (c + L) * eb).fma(FloatVector.fromArray(F, x, xo + c + L), o);
    }
    if (c + L <= n) {
      e = load(kind, w, wb + (long) c * eb).fma(FloatVector.fromArray(F, x, xo + c), e);
      c += L;
    }
    float tail = 0f;
    for (; c < n; c++) {
      tail += loadScalar(kind, w, wb + (long) c * eb) * x[xo + c];
    }
    return finish(e, o, tail);
  }

  /** Four weight rows against one x row (decode). */
  private static void tile4x1(int kind, MemorySegment w, long wb, long rb, int eb, int n, float[] x, int xo,
      float[] y, int yi, boolean acc) {
    FloatVector e0 = FloatVector.zero(F), o0 = e0, e1 = e0, o1 = e0, e2 = e0, o2 = e0, e3 = e0, o3 = e0;
    long w0 = wb, w1 = wb + rb, w2 = wb + 2 * rb, w3 = wb + 3 * rb;
    int c = 0;
    for (; c + 2 * L <= n; c += 2 * L) {
      FloatVector xa = FloatVector.fromArray(F, x, xo + c);
      FloatVector xb = FloatVector.fromArray(F, x, xo + c + L);
      long ca = (long) c * eb;
      long cb = (long) (c + L) * eb;
      e0 = load(kind, w, w0 + ca).fma(xa, e0);
      o0 = load(kind, w, w0 + cb).fma(xb, o0);
      e1 = load(kind, w, w1 + ca).fma(xa, e1);
      o1 = load(kind, w, w1 + cb).fma(xb, o1);
      e2 = load(kind, w, w2 + ca).fma(xa, e2);
      o2 = load(kind, w, w2 + cb).fma(xb, o2);
      e3 = load(kind, w, w3 + ca).fma(xa, e3);
      o3 = load(kind, w, w3 + cb).fma(xb, o3);
    }
    if (c + L <= n) {
      FloatVector xa = FloatVector.fromArray(F, x, xo + c);
      long ca = (long) c * eb;
      e0 = load(kind, w, w0 + ca).fma(xa, e0);
      e1 = load(kind, w, w1 + ca).fma(xa, e1);
      e2 = load(kind, w, w2 + ca).fma(xa, e2);
      e3 = load(kind, w, w3 + ca).fma(xa, e3);
      c += L;
    }
    float t0 = 0f, t1 = 0f, t2 = 0f, t3 = 0f;
    for (; c < n; c++) {
      float xv = x[xo + c];
      long cc = (long) c * eb;
      t0 += loadScalar(kind, w, w0 + cc) * xv;
      t1 += loadScalar(kind, w, w1 + cc) * xv;
      t2 += loadScalar(kind, w, w2 + cc) * xv;
      t3 += loadScalar(kind, w, w3 + cc) * xv;
    }
    store(y, yi, finish(e0, o0, t0), acc);
    store(y, yi + 1, finish(e1, o1, t1), acc);
    store(y, yi + 2, finish(e2, o2, t2), acc);
    store(y, yi + 3, finish(e3, o3, t3), acc);
  }

  /** Two weight rows against four x rows (prefill, batched decode). */
  private static void tile2x4(int kind, MemorySegment w, long wb, long rb, int eb, int n, float[] x, int xo, int xs,
      float[] y, int yi, int ys, boolean acc) {
    FloatVector z = FloatVector.zero(F);
    FloatVector e00 = z, o00 = z, e01 = z, o01 = z, e02 = z, o02 = z, e03 = z, o03 = z;
    FloatVector e10 = z, o10 = z, e11 = z, o11 = z, e12 = z, o12 = z, e13 = z, o13 = z;
    long w0 = wb, w1 = wb + rb;
    int x0 = xo, x1 = xo + xs, x2 = xo + 2 * xs, x3 = xo + 3 * xs;
    int c = 0;
    for (; c + 2 * L <= n; c += 2 * L) {
      long ca = (long) c * eb;
      long cb = (long) (c + L) * eb;
      FloatVector a0 = load(kind, w, w0 + ca);
      FloatVector b0 = load(kind, w, w0 + cb);
      FloatVector a1 = load(kind, w, w1 + ca);
      FloatVector b1 = load(kind, w, w1 + cb);
      FloatVector xa = FloatVector.fromArray(F, x, x0 + c);
      FloatVector xb = FloatVector.fromArray(F, x, x0 + c + L);
      e00 = a0.fma(xa, e00); o00 = b0.fma(xb, o00); e10 = a1.fma(xa, e10); o10 = b1.fma(xb, o10);
      xa = FloatVector.fromArray(F, x, x1 + c);
      xb = FloatVector.fromArray(F, x, x1 + c + L);
      e01 = a0.fma(xa, e01); o01 = b0.fma(xb, o01); e11 = a1.fma(xa, e11); o11 = b1.fma(xb, o11);
      xa = FloatVector.fromArray(F, x, x2 + c);
      xb = FloatVector.fromArray(F, x, x2 + c + L);
      e02 = a0.fma(xa, e02); o02 = b0.fma(xb, o02); e12 = a1.fma(xa, e12); o12 = b1.fma(xb, o12);
      xa = FloatVector.fromArray(F, x, x3 + c);
      xb = FloatVector.fromArray(F, x, x3 + c + L);
      e03 = a0.fma(xa, e03); o03 = b0.fma(xb, o03); e13 = a1.fma(xa, e13); o13 = b1.fma(xb, o13);
    }
    if (c + L <= n) {
      long ca = (long) c * eb;
      FloatVector a0 = load(kind, w, w0 + ca);
      FloatVector a1 = load(kind, w, w1 + ca);
      FloatVector xa = FloatVector.fromArray(F, x, x0 + c);
      e00 = a0.fma(xa, e00); e10 = a1.fma(xa, e10);
      xa = FloatVector.fromArray(F, x, x1 + c);
      e01 = a0.fma(xa, e01); e11 = a1.fma(xa, e11);
      xa = FloatVector.fromArray(F, x, x2 + c);
      e02 = a0.fma(xa, e02); e12 = a1.fma(xa, e12);
      xa = FloatVector.fromArray(F, x, x3 + c);
      e03 = a0.fma(xa, e03); e13 = a1.fma(xa, e13);
      c += L;
    }
    float t00 = 0f, t01 = 0f, t02 = 0f, t03 = 0f, t10 = 0f, t11 = 0f, t12 = 0f, t13 = 0f;
    for (; c < n; c++) {
      long cc = (long) c * eb;
      float a0 = loadScalar(kind, w, w0 + cc);
      float a1 = loadScalar(kind, w, w1 + cc);
      t00 += a0 * x[x0 + c]; t01 += a0 * x[x1 + c]; t02 += a0 * x[x2 + c]; t03 += a0 * x[x3 + c];
      t10 += a1 * x[x0 + c]; t11 += a1 * x[x1 + c]; t12 += a1 * x[x2 + c]; t13 += a1 * x[x3 + c];
    }
    store(y, yi, finish(e00, o00, t00), acc);
    store(y, yi + ys, finish(e01, o01, t01), acc);
    store(y, yi + 2 * ys, finish(e02, o02, t02), acc);
    store(y, yi + 3 * ys, finish(e03, o03, t03), acc);
    store(y, yi + 1, finish(e10, o10, t10), acc);
    store(y, yi + 1 + ys, finish(e11, o11, t11), acc);
    store(y, yi + 1 + 2 * ys, finish(e12, o12, t12), acc);
    store(y, yi + 1 + 3 * ys, finish(e13, o13, t13), acc);
  }

  private static void store(float[] y, int i, float v, boolean acc) {
    y[i] = acc ? y[i] + v : v;
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

  /** {@code y[yOff..] += a * x[xOff..]} over {@code n} elements. */
  public static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
    int c = 0;
    FloatVector av = FloatVector.broadcast(F, a);
    for (; c + L <= n; c += L) {
      FloatVector.fromArray(F, x, xOff + c).fma(av, FloatVector.fromArray(F, y, yOff + c)).intoArray(y, yOff + c);
    }
    for (; c < n; c++) {
      y[yOff + c] = Math.fma(x[xOff + c], a, y[yOff + c]);
    }
  }

  /** {@code x[i] *= a} over {@code n} elements. */
  public static void scale(float[] x, int off, int n, float a) {
    int c = 0;
    for (; c + L <= n; c += L) {
      FloatVector.fromArray(F, x, off + c).mul(a).intoArray(x, off + c);
    }
    for (; c < n; c++) {
      x[off + c] *= a;
    }
  }

  /** {@code gate[i] = silu(gate[i]) * up[i]} over {@code n} elements ({@code silu(g) = g / (1 + e^-g)}). */
  public static void siluMul(float[] gate, float[] up, int off, int n) {
    for (int i = off; i < off + n; i++) {
      float g = gate[i];
      gate[i] = (float) (g / (1.0 + Math.exp(-g))) * up[i];
    }
  }

  // ---------------------------------------------------------------- attention

  /**
   * One query head attending over positions {@code [0, ctx)} of a paged KV cache. The cache holds
   * {@code kvDim} floats per token; token {@code p} lives in block {@code blockTable[p / blockSize]} at
   * slot {@code p % blockSize}; this head reads {@code headDim} floats at {@code kvHeadOff} within a token.
   * {@code scores} is scratch of at least {@code ctx} floats.
   */
  public static void attendHead(float[] q, int qOff, float[] kCache, float[] vCache, int[] blockTable, int blockSize,
      int kvDim, int kvHeadOff, int headDim, int ctx, float scale, float[] scores, float[] out, int outOff) {
    float max = Float.NEGATIVE_INFINITY;
    for (int p = 0; p < ctx; p++) {
      int base = (blockTable[p / blockSize] * blockSize + p % blockSize) * kvDim + kvHeadOff;
      float s = dot(q, qOff, kCache, base, headDim) * scale;
      scores[p] = s;
      max = Math.max(max, s);
    }
    float sum = 0f;
    for (int p = 0; p < ctx; p++) {
      float e = (float) Math.exp(scores[p] - max);
      scores[p] = e;
      sum += e;
    }
    java.util.Arrays.fill(out, outOff, outOff + headDim, 0f);
    float inv = 1f / sum;
    for (int p = 0; p < ctx; p++) {
      int base = (blockTable[p / blockSize] * blockSize + p % blockSize) * kvDim + kvHeadOff;
      axpy(scores[p] * inv, vCache, base, out, outOff, headDim);
    }
  }
}
