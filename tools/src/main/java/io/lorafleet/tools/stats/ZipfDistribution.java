package io.lorafleet.tools.stats;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Zipf(s) over ranks {@code 0 .. n-1}: rank {@code k} is drawn with probability proportional to
 * {@code 1 / (k+1)^s} (s = 0 is uniform). Sampling inverts the cumulative distribution by binary search. The
 * load test draws adapters with it and the simulator its trace.
 */
public final class ZipfDistribution {
  private final double[] cdf;

  public ZipfDistribution(int n, double s) {
    if (n < 1) {
      throw new IllegalArgumentException("Zipf over " + n + " ranks");
    }
    cdf = new double[n];
    double sum = 0;
    for (int k = 0; k < n; k++) {
      sum += Math.pow(k + 1, -s);
      cdf[k] = sum;
    }
    for (int k = 0; k < n; k++) {
      cdf[k] /= sum;
    }
    cdf[n - 1] = 1.0;
  }

  public int size() {
    return cdf.length;
  }

  /** Probability of rank {@code k}. */
  public double probability(int k) {
    return k == 0 ? cdf[0] : cdf[k] - cdf[k - 1];
  }

  public int sample(RandomGenerator random) {
    return rankOf(random.nextDouble());
  }

  /** The rank a uniform draw {@code u} in [0, 1) stands for (the inverse of the cumulative distribution). */
  public int rankOf(double u) {
    int i = Arrays.binarySearch(cdf, u);
    int k = i >= 0 ? i + 1 : -i - 1;
    return Math.min(k, cdf.length - 1);
  }
}
