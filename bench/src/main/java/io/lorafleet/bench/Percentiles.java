package io.lorafleet.bench;

import java.util.Arrays;

/**
 * Order statistics of a sample, interpolated linearly between the two nearest ranks (numpy's default
 * "linear" method, which the Python peer uses too): for {@code q} in [0, 1] the value at rank {@code q *
 * (n - 1)}.
 */
final class Percentiles {
  private final double[] sorted;

  Percentiles(double[] values) {
    if (values.length == 0) {
      throw new IllegalArgumentException("no values");
    }
    sorted = values.clone();
    Arrays.sort(sorted);
  }

  /** The {@code q}-quantile, {@code q} in [0, 1]. */
  double quantile(double q) {
    if (!(q >= 0 && q <= 1)) {
      throw new IllegalArgumentException("quantile " + q + " outside [0, 1]");
    }
    double rank = q * (sorted.length - 1);
    int lo = (int) Math.floor(rank);
    int hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
  }

  double p50() {
    return quantile(0.5);
  }

  double p99() {
    return quantile(0.99);
  }

  double mean() {
    double s = 0;
    for (double v : sorted) {
      s += v;
    }
    return s / sorted.length;
  }

  double min() {
    return sorted[0];
  }

  double max() {
    return sorted[sorted.length - 1];
  }

  int count() {
    return sorted.length;
  }
}
