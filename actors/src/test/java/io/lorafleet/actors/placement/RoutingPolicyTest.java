package io.lorafleet.actors.placement;

import static io.lorafleet.actors.placement.PlacementFixtures.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RoutingPolicyTest {
  private final RoutingPolicy policy = RoutingPolicy.DEFAULT;
  private final SplittableRandom random = new SplittableRandom(7);

  @Test
  void anAdapterAlwaysGoesToItsHomeWhileItHasRoom() {
    List<NodeLoad> nodes = List.of(node("a", 0, 4), node("b", 0, 0), node("c", 0, 1));
    Map<String, String> first = new HashMap<>();
    for (int i = 0; i < 50; i++) {
      String adapter = "adapter-" + i;
      String n = policy.choose(adapter, nodes, List.of(), Set.of(), random).orElseThrow();
      first.put(adapter, n);
      for (int k = 0; k < 5; k++) {
        assertEquals(n, policy.choose(adapter, nodes, List.of(), Set.of(), random).orElseThrow());
      }
    }
    assertEquals(3, new java.util.HashSet<>(first.values()).size(), "homes spread over the nodes");
  }

  @Test
  void aJoinedNodeTakesAShareOfTheAdaptersAndTheRestStay() {
    List<NodeLoad> three = List.of(node("a", 0, 0), node("b", 0, 0), node("c", 0, 0));
    List<NodeLoad> four = new ArrayList<>(three);
    four.add(node("d", 0, 0));
    int moved = 0;
    for (int i = 0; i < 400; i++) {
      String before = policy.choose("x" + i, three, List.of(), Set.of(), random).orElseThrow();
      String after = policy.choose("x" + i, four, List.of(), Set.of(), random).orElseThrow();
      if (!before.equals(after)) {
        assertEquals("d", after);
        moved++;
      }
    }
    assertTrue(moved > 60 && moved < 140, "about a quarter moved: " + moved);
  }

  @Test
  void replicasShareTheLoadByPowerOfTwoChoices() {
    List<NodeLoad> nodes = List.of(node("a", 5, 16), node("b", 0, 2), node("c", 0, 0));
    Map<String, Integer> hits = new HashMap<>();
    for (int i = 0; i < 200; i++) {
      hits.merge(policy.choose("hot", nodes, List.of("a", "b"), Set.of(), random).orElseThrow(), 1, Integer::sum);
    }
    assertEquals(Map.of("b", 200), hits, "of two replicas the shorter queue always wins");
    List<NodeLoad> even = List.of(node("a", 1, 4), node("b", 1, 4), node("c", 1, 4));
    hits.clear();
    for (int i = 0; i < 300; i++) {
      hits.merge(policy.choose("hot", even, List.of("a", "b", "c"), Set.of(), random).orElseThrow(), 1, Integer::sum);
    }
    assertEquals(3, hits.size());
    hits.values().forEach(v -> assertTrue(v > 50, hits.toString()));
  }

  @Test
  void aFullHomeSpillsToAResidentNodeThenToTheLeastLoaded() {
    String adapter = "z";
    List<NodeLoad> nodes = List.of(node("a", 0, 0), node("b", 0, 0), node("c", 0, 0));
    String home = RoutingPolicy.home(adapter, nodes).orElseThrow().node();
    List<NodeLoad> loaded = new ArrayList<>();
    String resident = null;
    for (NodeLoad n : nodes) {
      if (n.node().equals(home)) {
        loaded.add(n.withQueue(40, 16));
      } else if (resident == null) {
        resident = n.node();
        loaded.add(node(n.node(), 0, 4, adapter));
      } else {
        loaded.add(n);
      }
    }
    assertEquals(Optional.of(resident), policy.choose(adapter, loaded, List.of(), Set.of(), random));
    assertEquals(Optional.of(home), policy.choose(adapter, nodes, List.of(), Set.of(), random));
  }

  @Test
  void excludedAndDrainingNodesAreSkipped() {
    List<NodeLoad> nodes = List.of(node("a", 0, 0), node("b", 0, 0).withAccepting(false), node("c", 0, 0));
    for (int i = 0; i < 50; i++) {
      String n = policy.choose("q" + i, nodes, List.of("b"), Set.of("a"), random).orElseThrow();
      assertEquals("c", n);
    }
    assertEquals(Optional.empty(), policy.choose("q", nodes, List.of(), Set.of("a", "c"), random));
    assertEquals(Optional.empty(), policy.choose(null, List.of(), List.of(), Set.of(), random));
  }

  @Test
  void baseModelRequestsSpread() {
    List<NodeLoad> nodes = List.of(node("a", 0, 0), node("b", 0, 0), node("c", 3, 0));
    Map<String, Integer> hits = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      hits.merge(policy.choose(null, nodes, List.of(), Set.of(), random).orElseThrow(), 1, Integer::sum);
    }
    assertEquals(null, hits.get("c"), "the longest queue never wins a pair");
    assertTrue(hits.get("a") > 100 && hits.get("b") > 100, hits.toString());
  }

  @Test
  void largeFleetsGetTheSameAnswersAsThePlainNestedLoops() {
    // preferred() and the spill filter look nodes up by name (linear in fleet + placement); the answers must
    // stay those of the straightforward quadratic version, kept here as the reference.
    SplittableRandom gen = new SplittableRandom(11);
    for (int round = 0; round < 300; round++) {
      List<NodeLoad> nodes = new ArrayList<>();
      int size = 1 + gen.nextInt(300);
      for (int i = 0; i < size; i++) {
        String[] resident = gen.nextInt(4) == 0 ? new String[] {"ad"} : new String[0];
        NodeLoad n = node(String.format("n%03d", i), gen.nextInt(3) == 0 ? 0 : gen.nextInt(40), gen.nextInt(17),
            resident);
        nodes.add(gen.nextInt(20) == 0 ? n.withAccepting(false) : n);
      }
      java.util.Collections.shuffle(nodes, new java.util.Random(round));
      List<String> placement = new ArrayList<>();
      int replicas = gen.nextInt(4) == 0 ? 0 : 1 + gen.nextInt(Math.min(size, 60));
      for (int i = 0; i < replicas; i++) {
        placement.add(String.format("n%03d", gen.nextInt(size + 5))); // some are not in the fleet
      }
      Set<String> excluded = gen.nextInt(3) == 0 ? Set.of(String.format("n%03d", gen.nextInt(size))) : Set.of();
      long seed = gen.nextLong();
      assertEquals(reference("ad", nodes, placement, excluded, new SplittableRandom(seed)),
          policy.choose("ad", nodes, placement, excluded, new SplittableRandom(seed)), "round " + round);
    }
  }

  private Optional<String> reference(String adapter, List<NodeLoad> nodes, List<String> placement,
      Set<String> excluded, SplittableRandom random) {
    List<NodeLoad> eligible = nodes.stream().filter(n -> n.accepting() && !excluded.contains(n.node()))
        .sorted(java.util.Comparator.comparing(NodeLoad::node)).toList();
    if (eligible.isEmpty()) {
      return Optional.empty();
    }
    List<NodeLoad> preferred = new ArrayList<>();
    for (String p : placement) {
      for (NodeLoad n : eligible) {
        if (n.node().equals(p)) {
          preferred.add(n);
        }
      }
    }
    if (preferred.isEmpty()) {
      preferred.add(RoutingPolicy.home(adapter, eligible).orElseThrow());
    }
    List<NodeLoad> roomy = preferred.stream().filter(policy::hasRoom).toList();
    if (!roomy.isEmpty()) {
      return Optional.of(RoutingPolicy.twoChoices(roomy, random).node());
    }
    List<NodeLoad> others = eligible.stream().filter(n -> !preferred.contains(n) && policy.hasRoom(n)).toList();
    if (!others.isEmpty()) {
      return others.stream().min(java.util.Comparator.<NodeLoad>comparingDouble(
              n -> n.pressure() + (n.resident(adapter) ? 0 : policy.loadingPenalty()))
          .thenComparing(n -> -RendezvousHash.score(adapter, n.node(), n.capacity().weight()))).map(NodeLoad::node);
    }
    return Optional.of(RoutingPolicy.twoChoices(preferred, random).node());
  }
}
