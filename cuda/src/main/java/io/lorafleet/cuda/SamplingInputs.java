package io.lorafleet.cuda;

import io.lorafleet.runtime.backend.RowSampling;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * What {@code sample_tokens} (sampling.cu) reads per logits row, written into host memory for the step's
 * copy: a 48-byte {@code SampleParams} per row, the rows' distinct penalty tokens one after the other, and
 * their allowed-token bitmasks ({@link #maskWords} 32-bit words each: the engine's {@code long[]} masks
 * written little-endian, which is the same bits). Pure Java.
 */
final class SamplingInputs {
  /** Bytes of one SampleParams (sampling.cu). */
  static final int PARAMS_BYTES = 48;
  static final int FLAG_ON_HOST = 1;

  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfDouble DOUBLE =
      ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /** How much of the variable sections some rows use. */
  record Sizes(int penaltyTokens, int maskRows) {}

  private SamplingInputs() {}

  /** 32-bit words of one row's bitmask: a whole number of 64-bit words covering the vocabulary. */
  static int maskWords(int vocab) {
    return 2 * ((vocab + 63) / 64);
  }

  /** The penalty tokens and masks of {@code rows[from .. from + count)}. */
  static Sizes sizes(RowSampling[] rows, int from, int count) {
    int penalty = 0;
    int masks = 0;
    for (int i = from; i < from + count; i++) {
      RowSampling r = rows[i];
      if (r.onHost()) {
        continue;
      }
      if (r.repetitionPenalty() != 1.0) {
        penalty += r.penaltyTokens().length;
      }
      if (r.allowedTokens() != null) {
        masks++;
      }
    }
    return new Sizes(penalty, masks);
  }

  /** Writes the params of a row the device skips (padding of a decode bucket, or a host row). */
  static void writeSkipped(MemorySegment dst, long at) {
    dst.asSlice(at, PARAMS_BYTES).fill((byte) 0);
    dst.set(INT, at + 44, FLAG_ON_HOST);
  }

  /**
   * Writes the params of {@code rows[from .. from + count)} at {@code paramsAt} (row i at {@code paramsAt +
   * 48 (i - from)}), their penalty tokens from {@code penaltyAt} and their masks from {@code masksAt}; the
   * params name them relative to those two sections. Returns what the variable sections used.
   */
  static Sizes write(MemorySegment dst, RowSampling[] rows, int from, int count, int vocab, long paramsAt,
      long penaltyAt, long masksAt) {
    int words = maskWords(vocab);
    int penalty = 0;
    int masks = 0;
    for (int i = 0; i < count; i++) {
      RowSampling r = rows[from + i];
      long at = paramsAt + (long) PARAMS_BYTES * i;
      if (r.onHost()) {
        writeSkipped(dst, at);
        continue;
      }
      dst.set(DOUBLE, at, r.temperature());
      dst.set(DOUBLE, at + 8, r.topP());
      dst.set(DOUBLE, at + 16, r.uniform());
      dst.set(FLOAT, at + 24, (float) r.repetitionPenalty());
      dst.set(INT, at + 28, r.topK());
      int start = penalty;
      int n = 0;
      if (r.repetitionPenalty() != 1.0) {
        int[] t = r.penaltyTokens();
        MemorySegment.copy(t, 0, dst, INT, penaltyAt + 4L * penalty, t.length);
        n = t.length;
        penalty += n;
      }
      dst.set(INT, at + 32, start);
      dst.set(INT, at + 36, n);
      int maskOffset = -1;
      long[] allowed = r.allowedTokens();
      if (allowed != null) {
        maskOffset = masks * words;
        long m = masksAt + 4L * maskOffset;
        int longs = words / 2;
        for (int w = 0; w < longs; w++) {
          dst.set(LONG, m + 8L * w, w < allowed.length ? allowed[w] : 0L);
        }
        masks++;
      }
      dst.set(INT, at + 40, maskOffset);
      dst.set(INT, at + 44, 0);
    }
    return new Sizes(penalty, masks);
  }
}
