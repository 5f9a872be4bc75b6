package io.lorafleet.runtime.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Picks the next token from a row of logits with Hugging Face semantics, in HF's order: repetition
 * penalty, then (when sampling) temperature, top-k, top-p, and a draw from the request's own random
 * stream. Log-probabilities are reported for the model's raw distribution (log-softmax of the logits
 * before any of these), as vLLM and the reference do.
 *
 * <p>A constrained row comes with the set of allowed token ids: every other token's score is -infinity
 * before any of the steps, so greedy, temperature, top-k, top-p and the penalty all see only allowed
 * tokens (top-k counts among them, top-p's mass is theirs). Rows without a mask take the unchanged path.
 */
public final class Sampler {
  /** The chosen token and its log-probability, plus the top alternatives when asked. */
  public record Choice(int tokenId, float logprob, List<TopLogprob> top) {}

  /**
   * @param logits       raw logits of one position (not modified)
   * @param params       the request's sampling parameters
   * @param context      prompt and generated tokens so far; the first {@code contextLen} are used for the penalty
   * @param random       the request's random stream (unused when greedy)
   */
  public Choice sample(float[] logits, int off, int vocab, SamplingParams params, int[] context, int contextLen,
      java.util.random.RandomGenerator random) {
    return sample(logits, off, vocab, params, context, contextLen, random, null);
  }

  /**
   * As {@link #sample(float[], int, int, SamplingParams, int[], int, java.util.random.RandomGenerator)}, choosing
   * only among the ids whose bit is set in {@code allowed} (bit {@code id % 64} of word {@code id / 64}; at
   * least one must be set); null allows every token.
   */
  public Choice sample(float[] logits, int off, int vocab, SamplingParams params, int[] context, int contextLen,
      java.util.random.RandomGenerator random, long[] allowed) {
    float[] scores = Arrays.copyOfRange(logits, off, off + vocab);
    int[] universe = null;
    if (allowed != null) {
      universe = mask(scores, allowed);
      if (universe.length == 0) {
        throw new IllegalArgumentException("no token is allowed");
      }
    }
    if (params.repetitionPenalty() != 1.0) {
      applyRepetitionPenalty(scores, (float) params.repetitionPenalty(), context, contextLen);
    }
    int token = params.isGreedy() ? argmax(scores, universe) : draw(scores, params, random, universe);
    double logZ = logSumExp(logits, off, vocab);
    float lp = (float) (logits[off + token] - logZ);
    List<TopLogprob> top = params.topLogprobs() > 0 ? top(logits, off, vocab, params.topLogprobs(), logZ) : List.of();
    return new Choice(token, lp, top);
  }

  /** Log-probability of {@code token} under the raw logits. */
  public static float logprob(float[] logits, int off, int vocab, int token) {
    return (float) (logits[off + token] - logSumExp(logits, off, vocab));
  }

  static void applyRepetitionPenalty(float[] scores, float penalty, int[] context, int contextLen) {
    boolean[] seen = new boolean[scores.length];
    for (int i = 0; i < contextLen; i++) {
      int t = context[i];
      if (t >= 0 && t < scores.length && !seen[t]) {
        seen[t] = true;
        scores[t] = scores[t] < 0 ? scores[t] * penalty : scores[t] / penalty;
      }
    }
  }

  /** Sets the scores of tokens outside {@code allowed} to -infinity; returns the allowed ids, ascending. */
  private static int[] mask(float[] scores, long[] allowed) {
    int n = scores.length;
    int[] ids = new int[64];
    int k = 0;
    for (int i = 0; i < n; i++) {
      int w = i >>> 6;
      if (w < allowed.length && (allowed[w] & (1L << i)) != 0) {
        if (k == ids.length) {
          ids = Arrays.copyOf(ids, k * 2);
        }
        ids[k++] = i;
      } else {
        scores[i] = Float.NEGATIVE_INFINITY;
      }
    }
    return Arrays.copyOf(ids, k);
  }

  /** Index of the largest value among {@code ids} (all when null); the lowest index wins ties. */
  static int argmax(float[] v, int[] ids) {
    if (ids == null) {
      return argmax(v);
    }
    int best = ids[0];
    for (int i : ids) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }

  /** Index of the largest value; the lowest index wins ties. */
  static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }

  private static int draw(float[] scores, SamplingParams p, java.util.random.RandomGenerator random, int[] universe) {
    int n = universe == null ? scores.length : universe.length;
    int[] cand;
    if (p.topK() > 0 && p.topK() < n) {
      // HF keeps every token scoring at least the k-th highest score (ties included).
      float kth = scores[topIndices(scores, p.topK())[p.topK() - 1]];
      cand = universe == null ? java.util.stream.IntStream.range(0, n).filter(i -> scores[i] >= kth).toArray()
          : Arrays.stream(universe).filter(i -> scores[i] >= kth).toArray();
    } else {
      cand = universe == null ? java.util.stream.IntStream.range(0, n).toArray() : universe.clone();
    }
    if (p.topP() < 1.0) {
      cand = sortedByScore(scores, cand);
    }
    double invT = 1.0 / p.temperature();
    double max = Double.NEGATIVE_INFINITY;
    for (int c : cand) {
      max = Math.max(max, scores[c] * invT);
    }
    double[] probs = new double[cand.length];
    double sum = 0;
    for (int i = 0; i < cand.length; i++) {
      probs[i] = Math.exp(scores[cand[i]] * invT - max);
      sum += probs[i];
    }
    int keep = cand.length;
    if (p.topP() < 1.0) {
      // The smallest most-likely prefix whose probability reaches top_p (at least one token).
      double cum = 0;
      for (int i = 0; i < cand.length; i++) {
        cum += probs[i] / sum;
        if (cum >= p.topP()) {
          keep = i + 1;
          break;
        }
      }
      sum = 0;
      for (int i = 0; i < keep; i++) {
        sum += probs[i];
      }
    }
    double u = random.nextDouble() * sum;
    double acc = 0;
    for (int i = 0; i < keep; i++) {
      acc += probs[i];
      if (u < acc) {
        return cand[i];
      }
    }
    return cand[keep - 1];
  }

  /** {@code cand} ordered by descending score, lower index first among equal scores. */
  private static int[] sortedByScore(float[] scores, int[] cand) {
    long[] keys = new long[cand.length];
    for (int i = 0; i < cand.length; i++) {
      int bits = Float.floatToIntBits(scores[cand[i]]);
      // Order-preserving int for the float, negated for descending order.
      int sortable = bits >= 0 ? bits : bits ^ 0x7fffffff;
      keys[i] = ((long) ~sortable << 32) | (cand[i] & 0xffffffffL);
    }
    Arrays.sort(keys);
    int[] out = new int[cand.length];
    for (int i = 0; i < keys.length; i++) {
      out[i] = (int) keys[i];
    }
    return out;
  }

  /** Indices of the k largest values, largest first (lowest index first among equals). */
  static int[] topIndices(float[] v, int k) {
    return topIndices(v, 0, v.length, k);
  }

  static int[] topIndices(float[] v, int off, int n, int k) {
    k = Math.min(k, n);
    int[] idx = new int[k];
    int size = 0;
    // Insertion into a small sorted array: k is small (≤ a few dozen) in practice.
    for (int i = 0; i < n; i++) {
      float x = v[off + i];
      if (size == k && !(x > v[off + idx[k - 1]])) {
        continue;
      }
      int pos = size < k ? size++ : k - 1;
      while (pos > 0 && x > v[off + idx[pos - 1]]) {
        idx[pos] = idx[pos - 1];
        pos--;
      }
      idx[pos] = i;
    }
    return idx;
  }

  private static List<TopLogprob> top(float[] logits, int off, int vocab, int k, double logZ) {
    int[] idx = topIndices(logits, off, vocab, k);
    List<TopLogprob> out = new ArrayList<>(idx.length);
    for (int i : idx) {
      out.add(new TopLogprob(i, (float) (logits[off + i] - logZ)));
    }
    return out;
  }

  static double logSumExp(float[] v, int off, int n) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, v[off + i]);
    }
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += Math.exp(v[off + i] - max);
    }
    return max + Math.log(sum);
  }
}
