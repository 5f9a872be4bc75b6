package io.lorafleet.runtime.backend;

/**
 * How a backend that samples on the device ({@link Backend#forwardSampled}) picks the token of one logits
 * row: the engine Sampler's parameters for that row, with Hugging Face semantics in the Sampler's order
 * (allowed tokens, repetition penalty, then temperature, top-k, top-p and the draw).
 *
 * @param temperature       0 for greedy
 * @param topK              0: off
 * @param topP              1: off
 * @param repetitionPenalty 1: off
 * @param uniform           the request's next number from its own random stream, in [0, 1): the engine
 *                          draws it exactly when its host Sampler would (once per sampled, non-greedy token),
 *                          so a seeded request keeps its stream whichever side samples
 * @param penaltyTokens     the distinct tokens of the row's context (prompt and output so far) when the
 *                          penalty is on; empty otherwise
 * @param allowedTokens     constrained decoding: bit {@code id % 64} of word {@code id / 64} is set for each
 *                          token the row may take (as the host Sampler's mask); null allows every token
 * @param onHost            the engine samples this row itself: the backend returns its full logits row
 *                          (top logprobs, prompt logprobs, a constraint whose mask is not known before the
 *                          step) and chooses nothing for it
 */
public record RowSampling(double temperature, int topK, double topP, double repetitionPenalty, double uniform,
    int[] penaltyTokens, long[] allowedTokens, boolean onHost) {
  private static final int[] NONE = new int[0];

  /** The row's full logits come back; the engine samples it. */
  public static final RowSampling HOST = new RowSampling(0, 0, 1, 1, 0, NONE, null, true);

  /** The highest-scoring token, chosen on the device. */
  public static final RowSampling GREEDY = new RowSampling(0, 0, 1, 1, 0, NONE, null, false);

  public RowSampling {
    if (penaltyTokens == null) {
      penaltyTokens = NONE;
    }
  }

  public boolean isGreedy() {
    return temperature == 0;
  }
}
