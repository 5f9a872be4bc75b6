package io.lorafleet.runtime.engine;

import io.lorafleet.runtime.constrain.ConstraintCompiler;
import io.lorafleet.runtime.constrain.OutputConstraint;
import io.lorafleet.runtime.errors.InvalidRequestException;
import java.util.List;
import java.util.Set;

/**
 * How to pick tokens and when to stop, with Hugging Face semantics. Checked once, when made: an instance
 * with a value out of range cannot exist (the constructor throws {@link InvalidRequestException} naming the
 * parameter and its range), so nobody downstream checks again.
 *
 * @param maxNewTokens      upper bound on generated tokens (≥ 1)
 * @param temperature       0 for greedy (argmax); otherwise logits are divided by it before sampling
 * @param topK              keep the k most likely tokens (0: off)
 * @param topP              keep the smallest set of most likely tokens whose probability reaches p (1: off)
 * @param repetitionPenalty HF's: logits of tokens already in prompt or output are divided (if positive) or
 *                          multiplied (if negative) by it (1: off)
 * @param seed              sampling seed; null picks a random one (reported in the result)
 * @param stop              stop sequences: generation ends when the text contains one; it is not returned (at
 *                          most {@link #MAX_STOP_SEQUENCES}, each of at most {@link #MAX_STOP_CHARS} chars,
 *                          {@link #MAX_STOP_TOTAL_CHARS} together)
 * @param stopTokenIds      tokens that end generation like a stop sequence
 * @param ignoreEos         keep generating past end-of-sequence tokens
 * @param topLogprobs       how many most-likely alternatives to report per token (0: none)
 * @param promptLogprobs    also compute the log-probability of every prompt token
 * @param skipSpecialTokens leave special tokens out of the text
 * @param constraint        what the output must match (JSON object, JSON Schema, regex), or null for none;
 *                          the constructor compiles it, so a constraint the server cannot honour is refused
 *                          before the request is queued
 */
public record SamplingParams(
    int maxNewTokens,
    double temperature,
    int topK,
    double topP,
    double repetitionPenalty,
    Long seed,
    List<String> stop,
    Set<Integer> stopTokenIds,
    boolean ignoreEos,
    int topLogprobs,
    boolean promptLogprobs,
    boolean skipSpecialTokens,
    OutputConstraint constraint) {

  public static final int MAX_TOP_LOGPROBS = 20;
  public static final int MAX_STOP_SEQUENCES = 16;
  /** Longest stop sequence, in chars: the stop checker holds back at most this much text. */
  public static final int MAX_STOP_CHARS = 256;
  /** All stop sequences of a request together, in chars. */
  public static final int MAX_STOP_TOTAL_CHARS = 2048;

  public SamplingParams {
    check(maxNewTokens, temperature, topK, topP, repetitionPenalty, stop, topLogprobs, constraint);
    stop = List.copyOf(stop);
    stopTokenIds = Set.copyOf(stopTokenIds);
  }

  /** Greedy decoding of up to {@code maxNewTokens}, stopping at end-of-sequence. */
  public static SamplingParams greedy(int maxNewTokens) {
    return builder().maxNewTokens(maxNewTokens).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public boolean isGreedy() {
    return temperature == 0;
  }

  /** Checks every field; the message names the parameter and the accepted range. */
  private static void check(int maxNewTokens, double temperature, int topK, double topP, double repetitionPenalty,
      List<String> stop, int topLogprobs, OutputConstraint constraint) {
    if (maxNewTokens < 1) {
      throw new InvalidRequestException("max_new_tokens must be at least 1, got " + maxNewTokens);
    }
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw new InvalidRequestException("temperature must be a finite number >= 0, got " + temperature);
    }
    if (topK < 0) {
      throw new InvalidRequestException("top_k must be >= 0, got " + topK);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new InvalidRequestException("top_p must be in (0, 1], got " + topP);
    }
    if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
      throw new InvalidRequestException("repetition_penalty must be a finite number > 0, got " + repetitionPenalty);
    }
    if (topLogprobs < 0 || topLogprobs > MAX_TOP_LOGPROBS) {
      throw new InvalidRequestException("top logprobs must be in [0, " + MAX_TOP_LOGPROBS + "], got " + topLogprobs);
    }
    if (stop.size() > MAX_STOP_SEQUENCES) {
      throw new InvalidRequestException("at most " + MAX_STOP_SEQUENCES + " stop sequences, got " + stop.size());
    }
    int total = 0;
    for (String s : stop) {
      if (s == null || s.isEmpty()) {
        throw new InvalidRequestException("stop sequences must be non-empty strings");
      }
      if (s.length() > MAX_STOP_CHARS) {
        throw new InvalidRequestException("each stop sequence may have at most " + MAX_STOP_CHARS
            + " characters, got one of " + s.length());
      }
      total += s.length();
    }
    if (total > MAX_STOP_TOTAL_CHARS) {
      throw new InvalidRequestException("the stop sequences may have at most " + MAX_STOP_TOTAL_CHARS
          + " characters together, got " + total);
    }
    if (constraint != null) {
      ConstraintCompiler.shared().compile(constraint);
    }
  }

  /** Mutable builder with the defaults of a plain HF generate call (greedy, 16 tokens). */
  public static final class Builder {
    private int maxNewTokens = 16;
    private double temperature = 0;
    private int topK = 0;
    private double topP = 1;
    private double repetitionPenalty = 1;
    private Long seed;
    private List<String> stop = List.of();
    private Set<Integer> stopTokenIds = Set.of();
    private boolean ignoreEos;
    private int topLogprobs;
    private boolean promptLogprobs;
    private boolean skipSpecialTokens;
    private OutputConstraint constraint;

    public Builder maxNewTokens(int v) {
      maxNewTokens = v;
      return this;
    }

    public Builder temperature(double v) {
      temperature = v;
      return this;
    }

    public Builder topK(int v) {
      topK = v;
      return this;
    }

    public Builder topP(double v) {
      topP = v;
      return this;
    }

    public Builder repetitionPenalty(double v) {
      repetitionPenalty = v;
      return this;
    }

    public Builder seed(Long v) {
      seed = v;
      return this;
    }

    public Builder stop(List<String> v) {
      stop = v;
      return this;
    }

    public Builder stopTokenIds(Set<Integer> v) {
      stopTokenIds = v;
      return this;
    }

    public Builder ignoreEos(boolean v) {
      ignoreEos = v;
      return this;
    }

    public Builder topLogprobs(int v) {
      topLogprobs = v;
      return this;
    }

    public Builder promptLogprobs(boolean v) {
      promptLogprobs = v;
      return this;
    }

    public Builder skipSpecialTokens(boolean v) {
      skipSpecialTokens = v;
      return this;
    }

    /** What the output must match; null for free text. */
    public Builder constraint(OutputConstraint v) {
      constraint = v;
      return this;
    }

    public SamplingParams build() {
      return new SamplingParams(maxNewTokens, temperature, topK, topP, repetitionPenalty, seed, stop, stopTokenIds,
          ignoreEos, topLogprobs, promptLogprobs, skipSpecialTokens, constraint);
    }
  }
}
