package io.lorafleet.tools.gpubench;

import io.lorafleet.tools.synthetic.SyntheticTokenizer;
import java.util.SplittableRandom;

/**
 * The requests' prompts and adapter choices, drawn from one seeded generator: prompts are BOS followed by
 * ids drawn uniformly from the ordinary tokens (never UNK, BOS or EOS), so that they mean the same to
 * every system, as ids or (for the HTTP server) as the synthetic tokenizer's words.
 */
final class Prompts {
  private final SplittableRandom rng;
  private final int vocabSize;
  private final int bosId;

  Prompts(long seed, int vocabSize, int bosId) {
    this.rng = new SplittableRandom(seed);
    this.vocabSize = vocabSize;
    this.bosId = bosId;
  }

  /** BOS and {@code length - 1} ordinary token ids. */
  int[] next(int length) {
    int[] p = new int[length];
    p[0] = bosId;
    for (int i = 1; i < length; i++) {
      p[i] = rng.nextInt(SyntheticTokenizer.EOS_ID + 1, vocabSize);
    }
    return p;
  }

  /** An adapter index in [0, n). */
  int adapter(int n) {
    return rng.nextInt(n);
  }

  /**
   * The text the synthetic tokenizer encodes to {@code ids}: the words of every id after the leading BOS,
   * which the tokenizer adds back itself.
   */
  static String text(int[] ids) {
    StringBuilder sb = new StringBuilder();
    for (int i = ids.length > 0 && ids[0] == SyntheticTokenizer.BOS_ID ? 1 : 0; i < ids.length; i++) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append(SyntheticTokenizer.token(ids[i]));
    }
    return sb.toString();
  }
}
