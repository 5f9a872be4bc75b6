package io.lorafleet.runtime.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A tensor inside a memory-mapped file: its name, element type, shape and the bytes, without a copy.
 * The segment stays valid while the file that produced it is open.
 */
public record TensorView(String name, DType dtype, long[] shape, MemorySegment data) {
  private static final ValueLayout.OfShort SHORT_LE =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfFloat FLOAT_LE =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

  public long elementCount() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  public int rank() {
    return shape.length;
  }

  public boolean hasShape(long... expected) {
    return Arrays.equals(shape, expected);
  }

  public String shapeString() {
    return Arrays.toString(shape);
  }

  /** Element {@code i} converted exactly to float. */
  public float getFloat(long i) {
    return switch (dtype) {
      case BF16 -> Float.intBitsToFloat((data.get(SHORT_LE, i * 2) & 0xffff) << 16);
      case F16 -> Float.float16ToFloat(data.get(SHORT_LE, i * 2));
      case F32 -> data.get(FLOAT_LE, i * 4);
    };
  }

  /** Copies the whole tensor into a new float array (exact for every supported type). */
  public float[] toFloatArray() {
    long n = elementCount();
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("tensor " + name + " too large to copy: " + n + " elements");
    }
    float[] out = new float[(int) n];
    for (int i = 0; i < out.length; i++) {
      out[i] = getFloat(i);
    }
    return out;
  }
}
