package io.lorafleet.tools.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The baseline's ring: balanced key counts, and a joining node takes keys only for itself. */
class ConsistentHashingTest {
  private final AdapterPopulation catalog = AdapterPopulation.create(20_000, 1.1, 1);

  private int[] owners(int nodes) {
    ConsistentHashing ring = new ConsistentHashing(Simulator.nodeNames(nodes), catalog);
    int[] owner = new int[catalog.size()];
    for (int a = 0; a < owner.length; a++) {
      owner[a] = ring.route(0, a, 0, 0);
    }
    return owner;
  }

  @Test
  void everyNodeOwnsAboutItsShare() {
    int[] count = new int[20];
    for (int o : owners(20)) {
      count[o]++;
    }
    for (int c : count) {
      assertTrue(c > 700 && c < 1300, java.util.Arrays.toString(count)); // 1000 each, 160 points per node
    }
  }

  @Test
  void aJoiningNodeTakesAboutItsShareAndNothingElseMoves() {
    int[] before = owners(20);
    int[] after = owners(21);
    int moved = 0;
    for (int a = 0; a < before.length; a++) {
      if (before[a] != after[a]) {
        assertEquals(20, after[a], "a key only moves to the new node");
        moved++;
      }
    }
    assertTrue(moved > 600 && moved < 1400, "about 1/21 of 20000 moved: " + moved);
  }
}
