package io.lorafleet.runtime.engine;

/**
 * Prompt tokens looked up in the prefix cache at admission ("queried") and found there ("hit"), for base-model
 * requests and adapter requests apart. Engine thread only; {@link EngineStats} carries a copy out.
 */
public final class PrefixCacheStats {
  private long baseQueried;
  private long baseHit;
  private long adapterQueried;
  private long adapterHit;

  void record(boolean adapter, int queried, int hit) {
    if (adapter) {
      adapterQueried += queried;
      adapterHit += hit;
    } else {
      baseQueried += queried;
      baseHit += hit;
    }
  }

  public long baseQueried() {
    return baseQueried;
  }

  public long baseHit() {
    return baseHit;
  }

  public long adapterQueried() {
    return adapterQueried;
  }

  public long adapterHit() {
    return adapterHit;
  }
}
