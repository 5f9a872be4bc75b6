package io.lorafleet.tools.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The latency histogram: nearest-rank percentiles (the same vectors as ops/gpu/test_peer_figures.py, whose
 * peer computes them the same way), 0.1% precision over a wide range, exact merging through the encoding.
 */
class LatencyHistogramTest {
  @Test
  void percentilesAreNearestRank() {
    LatencyHistogram h = LatencyHistogram.ofMillis(10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
    assertEquals(10, h.count());
    // every figure within the histogram's precision, 0.1% of the value
    assertEquals(5, h.p50Millis(), 5e-3);
    assertEquals(9, h.p90Millis(), 9e-3);
    assertEquals(10, h.p99Millis(), 10e-3);
    assertEquals(1, h.percentileMillis(0), 1e-3);
    assertEquals(10, h.percentileMillis(100), 10e-3);
    assertEquals(5.5, h.meanMillis(), 5.5e-3);
    assertEquals(1, h.minMillis(), 1e-3);
    assertEquals(10, h.maxMillis(), 10e-3);
    assertEquals(10, LatencyHistogram.ofMillis(30, 10, 20).percentileMillis(25), 10e-3);
    assertEquals(20, LatencyHistogram.ofMillis(30, 10, 20).p50Millis(), 20e-3);
    assertEquals(7, LatencyHistogram.ofMillis(7).p99Millis(), 7e-3);
    assertEquals(1.5, LatencyHistogram.ofMillis(1.5).p50Millis(), 0, "exact below 2 ms");
    assertEquals(0, new LatencyHistogram().p50Millis());
    assertThrows(IllegalArgumentException.class, () -> h.percentileMillis(101));
  }

  @Test
  void keepsThreeSignificantDigitsFromMicrosecondsToAnHour() {
    SplittableRandom r = new SplittableRandom(7);
    for (int i = 0; i < 1000; i++) {
      double ms = Math.exp(r.nextDouble(Math.log(0.5), Math.log(3_000_000)));
      LatencyHistogram h = LatencyHistogram.ofMillis(ms);
      assertEquals(ms, h.p50Millis(), ms * 1e-3 + 1e-3, "value " + ms);
    }
    LatencyHistogram seconds = new LatencyHistogram();
    seconds.recordSeconds(0.25);
    seconds.recordNanos(250_000_000L);
    assertEquals(250, seconds.p99Millis(), 0.25);
    LatencyHistogram capped = LatencyHistogram.ofMillis(10 * 3_600_000.0, -5);
    assertEquals(3_600_000, capped.maxMillis(), 3_600);
    assertEquals(0, capped.minMillis());
  }

  @Test
  void mergesExactlyThroughItsEncoding() {
    LatencyHistogram a = LatencyHistogram.ofMillis(1, 2, 3, 400);
    LatencyHistogram b = LatencyHistogram.ofMillis(5, 6, 7000);
    LatencyHistogram both = LatencyHistogram.ofMillis(1, 2, 3, 400, 5, 6, 7000);
    LatencyHistogram merged = LatencyHistogram.decode(a.encode()).add(LatencyHistogram.decode(b.encode()));
    assertEquals(both.count(), merged.count());
    for (double p : new double[] {0, 10, 50, 90, 99, 100}) {
      assertEquals(both.percentileMillis(p), merged.percentileMillis(p), 0, "p" + p);
    }
    assertEquals(0, LatencyHistogram.decode(null).count());
    assertThrows(IllegalArgumentException.class, () -> LatencyHistogram.decode("not base64!"));
  }
}
