package io.lorafleet.runtime.backend;

import io.lorafleet.runtime.backend.ForwardBatch.AdapterSegment;
import io.lorafleet.runtime.backend.ForwardBatch.SequenceRows;
import java.util.List;

/**
 * How closely a backend follows a reference backend on the same model, e.g. int8 weights against bf16:
 * for each prompt the reference prefills and decodes greedily; the other backend is fed the same tokens
 * (teacher forcing) and its logits at every generated position are compared with the reference's. Also
 * runs the other backend's own greedy decode and counts the tokens it shares with the reference's before
 * the first difference. Both backends must have a KV cache of at least {@code ceil((prompt + tokens) /
 * blockSize)} blocks; blocks {@code 0 ..} are overwritten.
 */
public final class BackendAgreement {
  private BackendAgreement() {}

  /**
   * The comparison's figures.
   *
   * @param positions        generated positions compared (prompts x tokens)
   * @param agreedTop1       positions where both backends' argmax is the same (teacher-forced)
   * @param sequences        prompts
   * @param identicalGreedy  prompts whose free-running greedy continuations are identical
   * @param sharedGreedy     tokens the free-running continuations share before their first difference (summed)
   * @param maxAbsError      largest |logit difference| over every position and vocabulary entry
   * @param meanAbsError     mean |logit difference|
   * @param meanRowStd       mean over positions of the reference logits' standard deviation
   * @param meanRowRange     mean over positions of the reference logits' max - min
   */
  public record Result(int positions, int agreedTop1, int sequences, int identicalGreedy, int sharedGreedy,
      double maxAbsError, double meanAbsError, double meanRowStd, double meanRowRange) {
    /** Fraction of positions with the same argmax. */
    public double top1Agreement() {
      return positions == 0 ? 1 : (double) agreedTop1 / positions;
    }

    /** Fraction of generated tokens shared before the first difference. */
    public double greedyPrefixAgreement() {
      return positions == 0 ? 1 : (double) sharedGreedy / positions;
    }

    /** Adds another comparison's counts (errors: max of maxima, means weighted by positions). */
    public Result plus(Result o) {
      int n = positions + o.positions;
      return new Result(n, agreedTop1 + o.agreedTop1, sequences + o.sequences, identicalGreedy + o.identicalGreedy,
          sharedGreedy + o.sharedGreedy, Math.max(maxAbsError, o.maxAbsError),
          n == 0 ? 0 : (meanAbsError * positions + o.meanAbsError * o.positions) / n,
          n == 0 ? 0 : (meanRowStd * positions + o.meanRowStd * o.positions) / n,
          n == 0 ? 0 : (meanRowRange * positions + o.meanRowRange * o.positions) / n);
    }

    public static final Result EMPTY = new Result(0, 0, 0, 0, 0, 0, 0, 0, 0);

    @Override
    public String toString() {
      return String.format(java.util.Locale.ROOT,
          "%d positions over %d prompts: top-1 agreement %.1f%%, identical greedy continuations %d/%d, greedy "
              + "prefix agreement %.1f%%, logit error max %.4g mean %.4g (reference logits: mean std %.4g, "
              + "mean range %.4g)", positions, sequences, 100 * top1Agreement(), identicalGreedy, sequences,
          100 * greedyPrefixAgreement(), maxAbsError, meanAbsError, meanRowStd, meanRowRange);
    }
  }

  /**
   * Compares {@code other} with {@code reference} on {@code prompts}, {@code tokens} generated positions
   * each, with the adapters at {@code referenceAdapter} / {@code otherAdapter} (-1: the base model).
   */
  public static Result compare(Backend reference, int referenceAdapter, Backend other, int otherAdapter,
      List<int[]> prompts, int tokens, int blockSize) {
    Result total = Result.EMPTY;
    for (int[] prompt : prompts) {
      total = total.plus(compareOne(reference, referenceAdapter, other, otherAdapter, prompt, tokens, blockSize));
    }
    return total;
  }

  private static Result compareOne(Backend ref, int refAdapter, Backend other, int otherAdapter, int[] prompt,
      int tokens, int blockSize) {
    int[] refTokens = new int[tokens];
    float[] refRow = step(ref, refAdapter, prompt, 0, blockSize);
    float[] otherRow = step(other, otherAdapter, prompt, 0, blockSize);
    int agreed = 0;
    double max = 0;
    double sum = 0;
    double stdSum = 0;
    double rangeSum = 0;
    int vocab = refRow.length;
    for (int t = 0; t < tokens; t++) {
      int a = argmax(refRow);
      agreed += a == argmax(otherRow) ? 1 : 0;
      double mean = 0;
      float lo = Float.POSITIVE_INFINITY;
      float hi = Float.NEGATIVE_INFINITY;
      for (int i = 0; i < vocab; i++) {
        double d = Math.abs((double) refRow[i] - otherRow[i]);
        max = Math.max(max, d);
        sum += d;
        mean += refRow[i];
        lo = Math.min(lo, refRow[i]);
        hi = Math.max(hi, refRow[i]);
      }
      mean /= vocab;
      double var = 0;
      for (float v : refRow) {
        var += (v - mean) * (v - mean);
      }
      stdSum += Math.sqrt(var / vocab);
      rangeSum += hi - lo;
      refTokens[t] = a;
      if (t + 1 < tokens) {
        refRow = step(ref, refAdapter, new int[] {a}, prompt.length + t, blockSize);
        otherRow = step(other, otherAdapter, new int[] {a}, prompt.length + t, blockSize);
      }
    }
    // The other backend's own greedy continuation.
    float[] row = step(other, otherAdapter, prompt, 0, blockSize);
    int shared = 0;
    boolean same = true;
    for (int t = 0; t < tokens; t++) {
      int tok = argmax(row);
      if (same && tok == refTokens[t]) {
        shared++;
      } else {
        same = false;
        break;
      }
      if (t + 1 < tokens) {
        row = step(other, otherAdapter, new int[] {tok}, prompt.length + t, blockSize);
      }
    }
    return new Result(tokens, agreed, 1, same ? 1 : 0, shared, max, tokens == 0 ? 0 : sum / ((double) tokens * vocab),
        tokens == 0 ? 0 : stdSum / tokens, tokens == 0 ? 0 : rangeSum / tokens);
  }

  /** Runs {@code ids} at positions {@code start ..} as one sequence; returns the last row's logits. */
  private static float[] step(Backend b, int adapter, int[] ids, int start, int blockSize) {
    int n = ids.length;
    int[] pos = new int[n];
    for (int i = 0; i < n; i++) {
      pos[i] = start + i;
    }
    int blocks = (start + n + blockSize - 1) / blockSize;
    int[] table = new int[blocks];
    for (int i = 0; i < blocks; i++) {
      table[i] = i;
    }
    return b.forward(new ForwardBatch(ids, pos, List.of(new SequenceRows(0, n, table, adapter)),
        List.of(new AdapterSegment(adapter, 0, n)), new int[] {n - 1})).row(0);
  }

  /** The first index of the largest value. */
  public static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}
