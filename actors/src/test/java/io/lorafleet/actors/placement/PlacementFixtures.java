package io.lorafleet.actors.placement;

import java.util.Map;
import java.util.Set;

/** Small node loads for the policy tests. */
final class PlacementFixtures {
  static final NodeCapacity SMALL = new NodeCapacity(8L << 30, 8, 16);
  static final NodeCapacity BIG = new NodeCapacity(16L << 30, 16, 32);

  private PlacementFixtures() {}

  static NodeLoad node(String name, int queue, int running, String... resident) {
    return new NodeLoad(name, SMALL, queue, running, Set.of(resident), Map.of(), true, 0);
  }

  static NodeLoad big(String name, int queue, int running) {
    return new NodeLoad(name, BIG, queue, running, Set.of(), Map.of(), true, 0);
  }
}
