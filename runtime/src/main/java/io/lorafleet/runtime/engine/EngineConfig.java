package io.lorafleet.runtime.engine;

/**
 * Engine sizing.
 *
 * @param blockSize        tokens per KV block
 * @param numKvBlocks      KV blocks to allocate; 0 derives it from {@code kvCacheBytes}
 * @param kvCacheBytes     memory budget for the KV cache when {@code numKvBlocks} is 0
 * @param maxNumSeqs       sequences running at once
 * @param maxBatchTokens   tokens per step (prefill is chunked to fit)
 * @param maxLorasPerBatch distinct adapters in one step (0: no limit beyond the backend's slots)
 * @param maxWaiting       requests allowed to wait; more are refused as overload
 * @param maxModelLen      longest sequence (prompt + output); 0 takes the model's max_position_embeddings
 */
public record EngineConfig(
    int blockSize, int numKvBlocks, long kvCacheBytes, int maxNumSeqs, int maxBatchTokens, int maxLorasPerBatch,
    int maxWaiting, int maxModelLen) {

  public static final EngineConfig DEFAULTS = new EngineConfig(16, 0, 512L << 20, 64, 512, 0, 1024, 0);

  public EngineConfig {
    if (blockSize < 1 || numKvBlocks < 0 || kvCacheBytes < 0 || maxNumSeqs < 1 || maxBatchTokens < 1
        || maxLorasPerBatch < 0 || maxWaiting < 0 || maxModelLen < 0) {
      throw new IllegalArgumentException("invalid engine config " + this);
    }
  }

  public EngineConfig withNumKvBlocks(int n) {
    return new EngineConfig(blockSize, n, kvCacheBytes, maxNumSeqs, maxBatchTokens, maxLorasPerBatch, maxWaiting,
        maxModelLen);
  }

  public EngineConfig withMaxBatchTokens(int n) {
    return new EngineConfig(blockSize, numKvBlocks, kvCacheBytes, maxNumSeqs, n, maxLorasPerBatch, maxWaiting,
        maxModelLen);
  }

  public EngineConfig withMaxNumSeqs(int n) {
    return new EngineConfig(blockSize, numKvBlocks, kvCacheBytes, n, maxBatchTokens, maxLorasPerBatch, maxWaiting,
        maxModelLen);
  }

  public EngineConfig withMaxLorasPerBatch(int n) {
    return new EngineConfig(blockSize, numKvBlocks, kvCacheBytes, maxNumSeqs, maxBatchTokens, n, maxWaiting,
        maxModelLen);
  }

  public EngineConfig withMaxWaiting(int n) {
    return new EngineConfig(blockSize, numKvBlocks, kvCacheBytes, maxNumSeqs, maxBatchTokens, maxLorasPerBatch, n,
        maxModelLen);
  }

  public EngineConfig withMaxModelLen(int n) {
    return new EngineConfig(blockSize, numKvBlocks, kvCacheBytes, maxNumSeqs, maxBatchTokens, maxLorasPerBatch,
        maxWaiting, n);
  }

  public EngineConfig withKvCacheBytes(long n) {
    return new EngineConfig(blockSize, numKvBlocks, n, maxNumSeqs, maxBatchTokens, maxLorasPerBatch, maxWaiting,
        maxModelLen);
  }
}
