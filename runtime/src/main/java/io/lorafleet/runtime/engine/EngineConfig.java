package io.lorafleet.runtime.engine;

/**
 * Engine sizing.
 *
 * @param blockSize           tokens per KV block
 * @param numKvBlocks         KV blocks to allocate; 0 derives it from {@code kvCacheBytes}
 * @param kvCacheBytes        memory budget for the KV cache when {@code numKvBlocks} is 0
 * @param maxNumSeqs          sequences running at once
 * @param maxBatchTokens      tokens per step (prefill is chunked to fit)
 * @param maxLorasPerBatch    distinct adapters in one step (0: no limit beyond what the device holds)
 * @param maxWaiting          requests allowed to wait, per {@link PriorityClass}; more are refused as overload (a
 *                            flood of batch requests is refused without filling the queue interactive requests
 *                            wait in, so at most 3 x maxWaiting wait in all)
 * @param maxModelLen         longest sequence (prompt + output); 0 takes the model's max_position_embeddings
 * @param maxResidentAdapters adapters kept on the device at once (0: as many as the backend holds)
 * @param prefixCaching       reuse the KV blocks of prompt prefixes computed before for the same adapter (see
 *                            {@link Scheduler})
 * @param priorityAgingNanos  a waiting sequence rises one {@link PriorityClass} after waiting this long in its
 *                            class, at most one per class per interval (0: no aging; see {@link SchedulerConfig})
 * @param preemptLowerClasses a waiting sequence that finds no room preempts running ones of a less urgent class
 */
public record EngineConfig(
    int blockSize, int numKvBlocks, long kvCacheBytes, int maxNumSeqs, int maxBatchTokens, int maxLorasPerBatch,
    int maxWaiting, int maxModelLen, int maxResidentAdapters, boolean prefixCaching, long priorityAgingNanos,
    boolean preemptLowerClasses) {

  public static final EngineConfig DEFAULTS = new EngineConfig(16, 0, 512L << 20, 64, 512, 0, 1024, 0, 0, true,
      SchedulerConfig.DEFAULT_AGING_NANOS, true);

  public EngineConfig {
    if (blockSize < 1 || numKvBlocks < 0 || kvCacheBytes < 0 || maxNumSeqs < 1 || maxBatchTokens < 1
        || maxLorasPerBatch < 0 || maxWaiting < 0 || maxModelLen < 0 || maxResidentAdapters < 0
        || priorityAgingNanos < 0) {
      throw new IllegalArgumentException("invalid engine config " + this);
    }
    if (maxResidentAdapters > 0 && maxLorasPerBatch > maxResidentAdapters) {
      throw new IllegalArgumentException("maxLorasPerBatch (" + maxLorasPerBatch + ") exceeds maxResidentAdapters ("
          + maxResidentAdapters + ")");
    }
  }

  /** The limits without priority settings: aging every 10 s, lower classes preempted. */
  public EngineConfig(int blockSize, int numKvBlocks, long kvCacheBytes, int maxNumSeqs, int maxBatchTokens,
      int maxLorasPerBatch, int maxWaiting, int maxModelLen, int maxResidentAdapters, boolean prefixCaching) {
    this(blockSize, numKvBlocks, kvCacheBytes, maxNumSeqs, maxBatchTokens, maxLorasPerBatch, maxWaiting, maxModelLen,
        maxResidentAdapters, prefixCaching, SchedulerConfig.DEFAULT_AGING_NANOS, true);
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  public EngineConfig withNumKvBlocks(int n) {
    return toBuilder().numKvBlocks(n).build();
  }

  public EngineConfig withKvCacheBytes(long n) {
    return toBuilder().kvCacheBytes(n).build();
  }

  public EngineConfig withMaxNumSeqs(int n) {
    return toBuilder().maxNumSeqs(n).build();
  }

  public EngineConfig withMaxBatchTokens(int n) {
    return toBuilder().maxBatchTokens(n).build();
  }

  public EngineConfig withMaxWaiting(int n) {
    return toBuilder().maxWaiting(n).build();
  }

  public EngineConfig withMaxResidentAdapters(int n) {
    return toBuilder().maxResidentAdapters(n).build();
  }

  public EngineConfig withPrefixCaching(boolean on) {
    return toBuilder().prefixCaching(on).build();
  }

  /** With priority aging every {@code agingNanos} (0: none) and preemption of lower classes on or off. */
  public EngineConfig withPriority(long agingNanos, boolean preemptLower) {
    return toBuilder().priorityAgingNanos(agingNanos).preemptLowerClasses(preemptLower).build();
  }

  /** Copy-and-change builder. */
  public static final class Builder {
    private int blockSize;
    private int numKvBlocks;
    private long kvCacheBytes;
    private int maxNumSeqs;
    private int maxBatchTokens;
    private int maxLorasPerBatch;
    private int maxWaiting;
    private int maxModelLen;
    private int maxResidentAdapters;
    private boolean prefixCaching;
    private long priorityAgingNanos;
    private boolean preemptLowerClasses;

    private Builder(EngineConfig c) {
      blockSize = c.blockSize;
      numKvBlocks = c.numKvBlocks;
      kvCacheBytes = c.kvCacheBytes;
      maxNumSeqs = c.maxNumSeqs;
      maxBatchTokens = c.maxBatchTokens;
      maxLorasPerBatch = c.maxLorasPerBatch;
      maxWaiting = c.maxWaiting;
      maxModelLen = c.maxModelLen;
      maxResidentAdapters = c.maxResidentAdapters;
      prefixCaching = c.prefixCaching;
      priorityAgingNanos = c.priorityAgingNanos;
      preemptLowerClasses = c.preemptLowerClasses;
    }

    public Builder blockSize(int v) {
      blockSize = v;
      return this;
    }

    public Builder numKvBlocks(int v) {
      numKvBlocks = v;
      return this;
    }

    public Builder kvCacheBytes(long v) {
      kvCacheBytes = v;
      return this;
    }

    public Builder maxNumSeqs(int v) {
      maxNumSeqs = v;
      return this;
    }

    public Builder maxBatchTokens(int v) {
      maxBatchTokens = v;
      return this;
    }

    public Builder maxLorasPerBatch(int v) {
      maxLorasPerBatch = v;
      return this;
    }

    public Builder maxWaiting(int v) {
      maxWaiting = v;
      return this;
    }

    public Builder maxModelLen(int v) {
      maxModelLen = v;
      return this;
    }

    public Builder maxResidentAdapters(int v) {
      maxResidentAdapters = v;
      return this;
    }

    public Builder prefixCaching(boolean v) {
      prefixCaching = v;
      return this;
    }

    public Builder priorityAgingNanos(long v) {
      priorityAgingNanos = v;
      return this;
    }

    public Builder preemptLowerClasses(boolean v) {
      preemptLowerClasses = v;
      return this;
    }

    public EngineConfig build() {
      return new EngineConfig(blockSize, numKvBlocks, kvCacheBytes, maxNumSeqs, maxBatchTokens, maxLorasPerBatch,
          maxWaiting, maxModelLen, maxResidentAdapters, prefixCaching, priorityAgingNanos, preemptLowerClasses);
    }
  }
}
