package io.lorafleet.cuda;

/** bf16 conversions, bit-identical to the kernels' (common.cuh): round to nearest even, NaN kept. */
final class Bf16 {
  private Bf16() {}

  public static short fromFloat(float f) {
    int u = Float.floatToRawIntBits(f);
    if ((u & 0x7fffffff) > 0x7f800000) {
      return (short) ((u >>> 16) | 0x40);
    }
    u += 0x7fff + ((u >>> 16) & 1);
    return (short) (u >>> 16);
  }

  public static float toFloat(short b) {
    return Float.intBitsToFloat((b & 0xffff) << 16);
  }

  /** The float rounded to bf16 and back. */
  public static float round(float f) {
    return toFloat(fromFloat(f));
  }
}
