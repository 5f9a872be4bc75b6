package io.lorafleet.tools.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Zipf sampling: the probabilities, the draws that follow them, and the inverse of the distribution. */
class ZipfDistributionTest {
  @Test
  void zipfFollowsItsDistribution() {
    ZipfDistribution z = new ZipfDistribution(100, 1.1);
    double total = 0;
    for (int k = 0; k < z.size(); k++) {
      total += z.probability(k);
      if (k > 0) {
        assertTrue(z.probability(k) < z.probability(k - 1));
      }
    }
    assertEquals(1.0, total, 1e-9);
    int[] counts = new int[100];
    SplittableRandom r = new SplittableRandom(1);
    int n = 200_000;
    for (int i = 0; i < n; i++) {
      counts[z.sample(r)]++;
    }
    for (int k : new int[] {0, 1, 9, 99}) {
      double expected = z.probability(k) * n;
      assertEquals(expected, counts[k], 5 * Math.sqrt(expected) + 1, "rank " + k);
    }
    ZipfDistribution uniform = new ZipfDistribution(4, 0);
    assertEquals(0.25, uniform.probability(3), 1e-12);
    assertEquals(0, new ZipfDistribution(1, 1.1).sample(r));
  }

  @Test
  void aDrawOnABoundaryBelongsToTheNextRank() {
    ZipfDistribution uniform = new ZipfDistribution(4, 0);
    assertEquals(0, uniform.rankOf(0));
    assertEquals(0, uniform.rankOf(0.2499));
    assertEquals(1, uniform.rankOf(0.25));
    assertEquals(3, uniform.rankOf(0.9999));
    assertThrows(IllegalArgumentException.class, () -> new ZipfDistribution(0, 1));
  }
}
