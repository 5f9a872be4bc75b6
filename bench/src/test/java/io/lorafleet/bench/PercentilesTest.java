package io.lorafleet.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The same vectors as ops/gpu/test_peer_figures.py: both sides must compute the same percentiles. */
class PercentilesTest {
  @Test
  void interpolatesLinearlyBetweenRanks() {
    Percentiles p = new Percentiles(new double[] {10, 9, 8, 7, 6, 5, 4, 3, 2, 1});
    assertEquals(5.5, p.p50(), 1e-12);
    assertEquals(9.91, p.p99(), 1e-12);
    assertEquals(1, p.quantile(0), 0);
    assertEquals(10, p.quantile(1), 0);
    assertEquals(5.5, p.mean(), 1e-12);
    assertEquals(15, new Percentiles(new double[] {30, 10, 20}).quantile(0.25), 1e-12);
    assertEquals(7, new Percentiles(new double[] {7}).p99(), 0);
  }

  @Test
  void refusesNothingAndOutOfRange() {
    assertThrows(IllegalArgumentException.class, () -> new Percentiles(new double[0]));
    assertThrows(IllegalArgumentException.class, () -> new Percentiles(new double[] {1}).quantile(1.5));
  }
}
