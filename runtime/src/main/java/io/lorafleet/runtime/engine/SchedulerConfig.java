package io.lorafleet.runtime.engine;

/**
 * Limits of one engine step.
 *
 * @param maxNumSeqs       sequences running at once
 * @param maxBatchTokens   tokens per step (decode tokens plus prefill chunks): long prompts are split
 * @param maxLorasPerBatch distinct adapters running at once (0: no limit)
 * @param prefixCaching    reuse the cached KV blocks of a prompt prefix computed before under the same key
 */
public record SchedulerConfig(int maxNumSeqs, int maxBatchTokens, int maxLorasPerBatch, boolean prefixCaching) {
  public SchedulerConfig {
    if (maxNumSeqs < 1 || maxBatchTokens < 1 || maxLorasPerBatch < 0) {
      throw new IllegalArgumentException("invalid scheduler limits: " + maxNumSeqs + ", " + maxBatchTokens + ", "
          + maxLorasPerBatch);
    }
  }

  /** Limits without prefix caching. */
  public SchedulerConfig(int maxNumSeqs, int maxBatchTokens, int maxLorasPerBatch) {
    this(maxNumSeqs, maxBatchTokens, maxLorasPerBatch, false);
  }
}
