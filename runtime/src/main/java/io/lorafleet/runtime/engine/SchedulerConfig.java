package io.lorafleet.runtime.engine;

/**
 * Limits of one engine step, and how priority classes are served.
 *
 * @param maxNumSeqs          sequences running at once
 * @param maxBatchTokens      tokens per step (decode tokens plus prefill chunks): long prompts are split
 * @param maxLorasPerBatch    distinct adapters running at once (0: no limit)
 * @param prefixCaching       reuse the cached KV blocks of a prompt prefix computed before under the same key
 * @param agingNanos          aging of waiting sequences: one that has waited this long in its class rises one
 *                            class (batch to standard, standard to interactive), at most one sequence per class
 *                            per interval, so a lower class still gets work through under a sustained load of
 *                            higher classes (0: no aging; a lower class may then starve)
 * @param preemptLowerClasses preempt running sequences of a less urgent class when a waiting sequence of a more
 *                            urgent one finds no free batch slot or KV blocks (they are recomputed later)
 */
public record SchedulerConfig(int maxNumSeqs, int maxBatchTokens, int maxLorasPerBatch, boolean prefixCaching,
    long agingNanos, boolean preemptLowerClasses) {

  /** The default aging interval: 10 s. */
  public static final long DEFAULT_AGING_NANOS = 10_000_000_000L;

  public SchedulerConfig {
    if (maxNumSeqs < 1 || maxBatchTokens < 1 || maxLorasPerBatch < 0 || agingNanos < 0) {
      throw new IllegalArgumentException("invalid scheduler limits: " + maxNumSeqs + ", " + maxBatchTokens + ", "
          + maxLorasPerBatch + ", aging " + agingNanos + " ns");
    }
  }

  /** Limits with the default priority handling (aging every 10 s, lower classes preempted). */
  public SchedulerConfig(int maxNumSeqs, int maxBatchTokens, int maxLorasPerBatch, boolean prefixCaching) {
    this(maxNumSeqs, maxBatchTokens, maxLorasPerBatch, prefixCaching, DEFAULT_AGING_NANOS, true);
  }

  /** Limits without prefix caching. */
  public SchedulerConfig(int maxNumSeqs, int maxBatchTokens, int maxLorasPerBatch) {
    this(maxNumSeqs, maxBatchTokens, maxLorasPerBatch, false);
  }
}
