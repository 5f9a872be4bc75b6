package io.lorafleet.tools.simulation;

/**
 * The request stream of a simulation: Zipf popularity over the adapters, Poisson arrivals at a base rate,
 * and bursts during which one adapter's rate jumps by a random factor for a while.
 *
 * @param adapters          adapters in the catalogue
 * @param zipfExponent      popularity of the adapter of rank k is proportional to k^-zipfExponent
 * @param ratePerSecond     base arrival rate of the fleet (bursts come on top)
 * @param durationSeconds   arrivals stop after this; the fleet then drains
 * @param warmupSeconds     requests that arrive before this are simulated but not measured
 * @param meanPromptTokens  mean prompt length (log-normal)
 * @param meanOutputTokens  mean generated tokens (exponential, at least 1)
 * @param maxOutputTokens   cap of the generated tokens
 * @param burstsPerMinute   mean number of bursts that start per minute (Poisson)
 * @param burstFactorMin    smallest rate multiplier of a burst
 * @param burstFactorMax    largest rate multiplier of a burst
 * @param burstSecondsMin   shortest burst
 * @param burstSecondsMax   longest burst
 * @param burstRankMin      most popular rank a burst may hit (log-uniform between the two ranks)
 * @param burstRankMax      least popular rank a burst may hit
 */
public record TraceSpec(int adapters, double zipfExponent, double ratePerSecond, double durationSeconds,
    double warmupSeconds, double meanPromptTokens, double meanOutputTokens, int maxOutputTokens,
    double burstsPerMinute, double burstFactorMin, double burstFactorMax, double burstSecondsMin,
    double burstSecondsMax, int burstRankMin, int burstRankMax) {

  public TraceSpec {
    if (adapters < 1 || !(zipfExponent > 0) || !(ratePerSecond > 0) || !(durationSeconds > 0)
        || warmupSeconds < 0 || warmupSeconds >= durationSeconds || !(meanPromptTokens >= 1)
        || !(meanOutputTokens >= 1) || maxOutputTokens < 1 || burstsPerMinute < 0
        || !(burstFactorMin >= 1) || burstFactorMax < burstFactorMin || !(burstSecondsMin > 0)
        || burstSecondsMax < burstSecondsMin || burstRankMin < 1 || burstRankMax < burstRankMin) {
      throw new IllegalArgumentException("invalid workload " + adapters + " adapters, zipf " + zipfExponent + ", "
          + ratePerSecond + " req/s for " + durationSeconds + " s (warm-up " + warmupSeconds + " s)");
    }
  }

  /**
   * The default stream: Zipf(1.1) over 100k adapters at 14k requests/s for 200 s (20 s warm-up), prompts of
   * 512 and outputs of 128 tokens on average, two bursts a minute of 10-50x for 30-90 s on adapters of
   * rank 50-5000.
   */
  public static TraceSpec defaults() {
    return new TraceSpec(100_000, 1.1, 14_000, 200, 20, 512, 128, 1024, 2, 10, 50, 30, 90, 50, 5_000);
  }

  public TraceSpec withAdapters(int n) {
    return new TraceSpec(n, zipfExponent, ratePerSecond, durationSeconds, warmupSeconds, meanPromptTokens,
        meanOutputTokens, maxOutputTokens, burstsPerMinute, burstFactorMin, burstFactorMax, burstSecondsMin,
        burstSecondsMax, Math.min(burstRankMin, n), Math.min(burstRankMax, n));
  }

  public TraceSpec withZipf(double s) {
    return new TraceSpec(adapters, s, ratePerSecond, durationSeconds, warmupSeconds, meanPromptTokens,
        meanOutputTokens, maxOutputTokens, burstsPerMinute, burstFactorMin, burstFactorMax, burstSecondsMin,
        burstSecondsMax, burstRankMin, burstRankMax);
  }

  public TraceSpec withRate(double r) {
    return new TraceSpec(adapters, zipfExponent, r, durationSeconds, warmupSeconds, meanPromptTokens,
        meanOutputTokens, maxOutputTokens, burstsPerMinute, burstFactorMin, burstFactorMax, burstSecondsMin,
        burstSecondsMax, burstRankMin, burstRankMax);
  }

  /** Duration and warm-up (the warm-up is kept below the duration). */
  public TraceSpec withDuration(double seconds, double warmup) {
    return new TraceSpec(adapters, zipfExponent, ratePerSecond, seconds, Math.min(warmup, seconds / 2),
        meanPromptTokens, meanOutputTokens, maxOutputTokens, burstsPerMinute, burstFactorMin, burstFactorMax,
        burstSecondsMin, burstSecondsMax, burstRankMin, burstRankMax);
  }

  public TraceSpec withBursts(double perMinute) {
    return new TraceSpec(adapters, zipfExponent, ratePerSecond, durationSeconds, warmupSeconds, meanPromptTokens,
        meanOutputTokens, maxOutputTokens, perMinute, burstFactorMin, burstFactorMax, burstSecondsMin,
        burstSecondsMax, burstRankMin, burstRankMax);
  }
}
