package io.lorafleet.actors.placement;

import static io.lorafleet.actors.placement.PlacementFixtures.big;
import static io.lorafleet.actors.placement.PlacementFixtures.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AllocationPolicyTest {
  private final AllocationPolicy policy = AllocationPolicy.DEFAULT;

  @Test
  void newItemsGoByCapacityShare() {
    List<NodeLoad> nodes = List.of(node("a", 0, 0), node("b", 0, 0), big("c", 0, 0));
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 400; i++) {
      String n = policy.allocate("shard-" + i, nodes, counts).orElseThrow();
      counts.merge(n, 1, Integer::sum);
    }
    assertEquals(100, counts.get("a"), 1);
    assertEquals(100, counts.get("b"), 1);
    assertEquals(200, counts.get("c"), 1);
  }

  @Test
  void loadedNodesGetFewerAndDrainingNodesNone() {
    List<NodeLoad> nodes = List.of(node("a", 32, 16), node("b", 0, 0), node("c", 0, 0).withAccepting(false));
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 100; i++) {
      counts.merge(policy.allocate("s" + i, nodes, counts).orElseThrow(), 1, Integer::sum);
    }
    assertTrue(counts.getOrDefault("a", 0) < 30, counts.toString());
    assertEquals(null, counts.get("c"));
  }

  @Test
  void sameInputsSameAnswer() {
    List<NodeLoad> nodes = List.of(node("a", 0, 0), node("b", 0, 0), node("c", 0, 0));
    assertEquals(policy.allocate("x", nodes, Map.of()), policy.allocate("x", List.of(nodes.get(2), nodes.get(0),
        nodes.get(1)), Map.of()));
  }

  @Test
  void rebalanceMovesItemsToAJoinedNodeAndEmptiesADrainingOne() {
    Map<String, List<String>> items = new HashMap<>();
    items.put("a", new ArrayList<>(List.of("1", "2", "3", "4", "5", "6")));
    items.put("b", new ArrayList<>(List.of("7", "8", "9", "10", "11", "12")));
    items.put("c", new ArrayList<>());
    List<NodeLoad> nodes = List.of(node("a", 0, 0), node("b", 0, 0), node("c", 0, 0));
    List<String> moves = policy.rebalance(items, nodes, Set.of());
    assertEquals(3, moves.size(), moves.toString()); // capped by maxMovesPerRound; the next round moves one more
    assertTrue(moves.stream().anyMatch(m -> items.get("a").contains(m)));
    assertTrue(moves.stream().anyMatch(m -> items.get("b").contains(m)));

    Map<String, List<String>> balanced = Map.of("a", List.of("1", "2"), "b", List.of("3", "4"), "c", List.of("5"));
    assertEquals(List.of(), policy.rebalance(balanced, nodes, Set.of()));

    List<NodeLoad> draining = List.of(node("a", 0, 0), node("b", 0, 0), node("c", 0, 0).withAccepting(false));
    assertEquals(List.of("5"), policy.rebalance(balanced, draining, Set.of()));
    assertEquals(List.of(), policy.rebalance(balanced, draining, Set.of("5")));
  }

  @Test
  void replicasKeepTheirNodesAndAddTheCheapest() {
    List<NodeLoad> nodes = List.of(node("a", 0, 8), node("b", 10, 16), node("c", 0, 0), node("d", 0, 0, "hot"));
    Map<String, Integer> hosted = Map.of("a", 1, "b", 0, "c", 3, "d", 3);
    List<String> two = policy.placeReplicas("hot", 2, nodes, List.of("a"), hosted);
    assertEquals(List.of("a", "d"), two, "keeps its home, adds where it is resident");
    List<String> one = policy.placeReplicas("hot", 1, nodes, List.of("a", "d"), hosted);
    assertEquals(List.of("a"), one, "drops the newest replica first");
    List<String> moved = policy.placeReplicas("hot", 2, List.of(nodes.get(1), nodes.get(2), nodes.get(3)),
        List.of("a", "d"), Map.of("a", 1, "b", 0, "c", 0, "d", 3));
    assertEquals(List.of("d", "c"), moved, "a replica on a gone node is replaced by the cheapest");
  }
}
