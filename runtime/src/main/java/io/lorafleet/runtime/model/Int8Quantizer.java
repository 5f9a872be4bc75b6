package io.lorafleet.runtime.model;

import io.lorafleet.runtime.errors.ModelFormatException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Symmetric per-output-channel int8 quantization of a weight matrix, one row (output feature) at a time:
 * {@code scale = max_k |W[o][k]| / 127}, {@code q[o][k] = clamp(rint(W[o][k] / scale), -127, 127)}, so
 * {@code W[o][k] ~ q[o][k] * scale} within {@code scale / 2}. A row of zeros has scale 0 and all-zero
 * codes. -128 is never produced (the range is symmetric). Backends call it row by row while they pack or
 * upload, so no float copy of more than a few rows ever exists.
 */
public final class Int8Quantizer {
  /** Largest code. */
  public static final int QMAX = 127;

  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
  private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

  private Int8Quantizer() {}

  /**
   * Quantizes {@code row[off .. off + n)} into {@code q[qOff + i * qStride]}; returns the row's scale.
   *
   * @throws ModelFormatException if the row holds a NaN or an infinity (the scale would be meaningless)
   */
  public static float quantizeRow(float[] row, int off, int n, byte[] q, int qOff, int qStride) {
    float max = 0f;
    for (int i = 0; i < n; i++) {
      float a = Math.abs(row[off + i]);
      if (!(a <= Float.MAX_VALUE)) {
        throw new ModelFormatException("cannot quantize a weight row holding " + row[off + i]);
      }
      max = Math.max(max, a);
    }
    if (max == 0f) {
      for (int i = 0; i < n; i++) {
        q[qOff + i * qStride] = 0;
      }
      return 0f;
    }
    float scale = max / QMAX;
    for (int i = 0; i < n; i++) {
      float c = (float) Math.rint(row[off + i] / scale);
      q[qOff + i * qStride] = (byte) Math.max(-QMAX, Math.min(QMAX, (int) c));
    }
    return scale;
  }

  /** The weight a code stands for. */
  public static float dequantize(byte code, float scale) {
    return code * scale;
  }

  /** Row {@code r} of {@code w} widened exactly to float into {@code out[0 .. cols)}. */
  public static void readRow(Linear w, int r, float[] out) {
    MemorySegment seg = w.data();
    int cols = w.cols();
    long base = (long) r * cols;
    switch (w.dtype()) {
      case BF16 -> {
        for (int k = 0; k < cols; k++) {
          out[k] = Float.intBitsToFloat((seg.get(SHORT, (base + k) * 2) & 0xffff) << 16);
        }
      }
      case F16 -> {
        for (int k = 0; k < cols; k++) {
          out[k] = Float.float16ToFloat(seg.get(SHORT, (base + k) * 2));
        }
      }
      case F32 -> MemorySegment.copy(seg, FLOAT, base * 4, out, 0, cols);
    }
  }

  /**
   * Quantizes rows {@code [r0, r1)} of {@code w}: codes row-major into {@code q} ({@code (r - r0) * cols + k}),
   * scales into {@code scales[r - r0]}.
   */
  public static void quantizeRows(Linear w, int r0, int r1, byte[] q, float[] scales) {
    float[] row = new float[w.cols()];
    for (int r = r0; r < r1; r++) {
      readRow(w, r, row);
      try {
        scales[r - r0] = quantizeRow(row, 0, w.cols(), q, (r - r0) * w.cols(), 1);
      } catch (ModelFormatException e) {
        throw new ModelFormatException(w.name() + " row " + r + ": " + e.getMessage());
      }
    }
  }

  /** Bytes {@code w} takes as int8 codes plus one float32 scale per row. */
  public static long bytes(Linear w) {
    return (long) w.rows() * w.cols() + 4L * w.rows();
  }
}
