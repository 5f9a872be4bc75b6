package io.lorafleet.actors.simulation;

/**
 * Counts of delays in logarithmic buckets (2% wide, from 0.1 ms to about 3 hours; shorter delays, zero
 * included, share the first bucket), for percentiles over millions of requests without keeping them.
 */
final class DelayHistogram {
  private static final double SMALLEST = 1e-4;
  private static final double GROWTH = 1.02;
  private static final int BUCKETS = 1 + (int) Math.ceil(Math.log(1e4 / SMALLEST) / Math.log(GROWTH));

  private final long[] counts = new long[BUCKETS];
  private long total;
  private double sum;
  private double max;

  void add(double seconds) {
    int b = seconds < SMALLEST ? 0 : Math.min(BUCKETS - 1, 1 + (int) (Math.log(seconds / SMALLEST) / Math.log(GROWTH)));
    counts[b]++;
    total++;
    sum += seconds;
    max = Math.max(max, seconds);
  }

  long count() {
    return total;
  }

  double mean() {
    return total == 0 ? 0 : sum / total;
  }

  double max() {
    return max;
  }

  /** The {@code q} quantile (0..1): the upper edge of its bucket (0 for the first bucket), at most the max. */
  double quantile(double q) {
    if (total == 0) {
      return 0;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int b = 0; b < BUCKETS; b++) {
      seen += counts[b];
      if (seen >= Math.max(1, rank)) {
        return b == 0 ? 0 : Math.min(max, SMALLEST * Math.pow(GROWTH, b));
      }
    }
    return max;
  }
}
