package io.lorafleet.runtime.constrain;

/**
 * The token ids allowed in one DFA state: a bitset over the model's vocabulary (bit {@code id % 64} of word
 * {@code id / 64}). Immutable once built; shared by every sequence in that state.
 */
public final class TokenMask {
  private final long[] bits;
  private final int count;

  TokenMask(long[] bits) {
    this.bits = bits;
    int c = 0;
    for (long w : bits) {
      c += Long.bitCount(w);
    }
    this.count = c;
  }

  public boolean allows(int id) {
    return id >= 0 && (id >>> 6) < bits.length && (bits[id >>> 6] & (1L << id)) != 0;
  }

  /** Number of allowed ids. */
  public int count() {
    return count;
  }

  /** A copy of the bits, to add ids to (end-of-sequence at an accepting state). */
  public long[] copyBits() {
    return bits.clone();
  }

  long heapBytes() {
    return 16 + 8L * bits.length;
  }
}
