package io.lorafleet.tools.synthetic;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A fixed table of 65,536 standard-normal samples. Picking entries with 16 random bits each gives normal
 * values at the cost of a table load (four per {@code nextLong()}), far cheaper than computing a Gaussian per
 * element, which is what makes writing gigabytes of random weights take seconds.
 */
final class NormalSamples {
  static final int SIZE = 1 << 16;
  static final int MASK = SIZE - 1;

  private static final float[] STANDARD = standard();
  private static final Map<Float, char[]> BF16_TABLES = new ConcurrentHashMap<>();

  private NormalSamples() {}

  private static float[] standard() {
    SplittableRandom rng = new SplittableRandom(0x5eed_1a11_0f1eL);
    float[] t = new float[SIZE];
    for (int i = 0; i < SIZE; i++) {
      t[i] = (float) rng.nextGaussian();
    }
    return t;
  }

  /** Sample {@code index & MASK} times {@code std}, as float. */
  static float scaled(int index, float std) {
    return STANDARD[index & MASK] * std;
  }

  /** The table times {@code std}, as bfloat16 bit patterns (unsigned, so they widen without masking). */
  static char[] bf16(float std) {
    return BF16_TABLES.computeIfAbsent(std, s -> {
      char[] t = new char[SIZE];
      for (int i = 0; i < SIZE; i++) {
        t[i] = bf16Bits(STANDARD[i] * s);
      }
      return t;
    });
  }

  /** Rounds a finite float to the nearest bfloat16 (ties to even) and returns its 16 bits. */
  static char bf16Bits(float v) {
    int bits = Float.floatToRawIntBits(v);
    int lsb = (bits >>> 16) & 1;
    return (char) ((bits + 0x7fff + lsb) >>> 16);
  }
}
