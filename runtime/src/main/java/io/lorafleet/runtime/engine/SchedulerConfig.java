package io.lorafleet.runtime.engine;

/**
 * Limits of one engine step.
 *
 * @param maxNumSeqs       sequences running at once
 * @param maxBatchTokens   tokens per step (decode tokens plus prefill chunks): long prompts are split
 * @param maxLorasPerBatch distinct adapters running at once (0: no limit)
 */
public record SchedulerConfig(int maxNumSeqs, int maxBatchTokens, int maxLorasPerBatch) {
  public SchedulerConfig {
    if (maxNumSeqs < 1 || maxBatchTokens < 1 || maxLorasPerBatch < 0) {
      throw new IllegalArgumentException("invalid scheduler limits: " + maxNumSeqs + ", " + maxBatchTokens + ", "
          + maxLorasPerBatch);
    }
  }
}
