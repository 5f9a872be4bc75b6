package io.lorafleet.actors.tenants;

/**
 * A tenant's limits, fleet-wide; 0 means no limit. Each node enforces its share: the limit over the live
 * members (see {@link TenantQuotas}).
 *
 * @param requestsPerSecond generation requests per second (token bucket; bursts up to {@code burst} seconds' worth)
 * @param tokensPerMinute   generated tokens per minute (token bucket of one minute's worth, charged with the
 *                          tokens a generation produced when it ends)
 * @param maxConcurrent     generations running or queued at once
 * @param maxKvBlocks       KV-cache blocks its running generations may hold, each counted at admission as
 *                          ceil((prompt + max new tokens) / block size): the most it can grow to
 * @param burst             seconds of {@code requestsPerSecond} a burst may use at once
 */
public record Quota(double requestsPerSecond, long tokensPerMinute, int maxConcurrent, long maxKvBlocks,
    double burst) {
  public static final Quota UNLIMITED = new Quota(0, 0, 0, 0, 1);

  public Quota {
    if (requestsPerSecond < 0 || tokensPerMinute < 0 || maxConcurrent < 0 || maxKvBlocks < 0 || !(burst > 0)) {
      throw new IllegalArgumentException("quota values must be >= 0 (0: no limit) and burst > 0: requests-per-second "
          + requestsPerSecond + ", tokens-per-minute " + tokensPerMinute + ", max-concurrent " + maxConcurrent
          + ", max-kv-blocks " + maxKvBlocks + ", burst " + burst);
    }
  }

  /** Whether any limit is set. */
  public boolean limited() {
    return requestsPerSecond > 0 || tokensPerMinute > 0 || maxConcurrent > 0 || maxKvBlocks > 0;
  }
}
