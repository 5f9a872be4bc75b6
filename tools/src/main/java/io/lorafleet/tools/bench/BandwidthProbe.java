package io.lorafleet.tools.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A memory-bandwidth figure that one noisy reading cannot make: {@link MemoryBandwidth} over several buffer
 * sizes far beyond the last-level cache (the largest, half of it and a quarter of it, none under 64 MiB),
 * with every thread, a few repetitions each; the best and the median of all readings. The benchmark takes
 * one probe before its timed phases and one after, since the rate of a shared machine drifts within minutes.
 */
public final class BandwidthProbe {
  static final long MIN_BYTES = 64L << 20;

  private BandwidthProbe() {}

  /**
   * All readings of one probe.
   *
   * @param runs one result per buffer size, largest first
   */
  public record Result(List<MemoryBandwidth.Result> runs) {
    public Result {
      runs = List.copyOf(runs);
      if (runs.isEmpty()) {
        throw new IllegalArgumentException("a probe has at least one run");
      }
    }

    public List<Double> allGbPerSecond() {
      List<Double> all = new ArrayList<>();
      runs.forEach(r -> all.addAll(r.gbPerSecondReps()));
      return all;
    }

    public double bestGbPerSecond() {
      return Collections.max(allGbPerSecond());
    }

    public double medianGbPerSecond() {
      return median(allGbPerSecond());
    }

    /** The run over the largest buffer. */
    public MemoryBandwidth.Result largest() {
      return runs.getFirst();
    }
  }

  /** Readings over {@code maxBytes}, half and a quarter of it (each at least 64 MiB), {@code reps} each. */
  public static Result measure(long maxBytes, int threads, int reps) {
    List<MemoryBandwidth.Result> runs = new ArrayList<>();
    for (long size = maxBytes; size >= Math.min(maxBytes, MIN_BYTES) && runs.size() < 3; size /= 2) {
      runs.add(MemoryBandwidth.measure(size, threads, reps));
      if (size / 2 < MIN_BYTES) {
        break;
      }
    }
    return new Result(runs);
  }

  static double median(List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> s = values.stream().sorted().toList();
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }
}
