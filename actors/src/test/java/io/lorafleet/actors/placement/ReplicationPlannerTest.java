package io.lorafleet.actors.placement;

import static io.lorafleet.actors.placement.PlacementFixtures.SMALL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The replication planner as a pure function: announcements, placements and memory in, changes out. */
class ReplicationPlannerTest {
  /** 10 req/s per replica, drop below 70% for 5 s, 1..4 replicas. */
  private final ReplicationPlanner planner = new ReplicationPlanner(new ReplicationPolicy(10, 0.7, 1, 4, 5_000),
      AllocationPolicy.DEFAULT);

  /** An accepting idle node serving {@code rates} (adapter, req/s, adapter, req/s...). */
  private static NodeLoad node(String name, Object... rates) {
    return load(name, true, rates);
  }

  private static NodeLoad load(String name, boolean accepting, Object... rates) {
    Map<String, Double> r = new HashMap<>();
    for (int i = 0; i < rates.length; i += 2) {
      r.put((String) rates[i], ((Number) rates[i + 1]).doubleValue());
    }
    return new NodeLoad(name, SMALL, 0, 0, Set.of(), r, accepting, 0);
  }

  private static List<NodeLoad> fleet(int n, Object... ratesOnFirst) {
    List<NodeLoad> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(i == 0 ? node("n" + i, ratesOnFirst) : node("n" + i));
    }
    return out;
  }

  @Test
  void aHotAdapterGetsReplicasStartingAtItsHome() {
    List<NodeLoad> loads = fleet(6, "hot", 25.0, "cold", 1.0);
    ReplicationPlanner.Plan plan = planner.replicate(loads, Map.of(), Map.of(), 1_000);
    assertEquals(1, plan.changes().size(), "only the hot adapter changes: " + plan.changes());
    ReplicationPlanner.Change c = plan.changes().getFirst();
    assertEquals("hot", c.adapter());
    assertEquals(3, c.placement().replicas());
    assertEquals(3, c.placement().nodes().size());
    assertEquals(RoutingPolicy.home("hot", loads).orElseThrow().node(), c.placement().nodes().getFirst(),
        "the home stays first");
    assertFalse(c.placement().manual());
    assertEquals("replicas", c.kind());
    assertTrue(c.detail().startsWith("1 -> 3 on "), c.detail());
    assertTrue(c.unload().isEmpty());
    assertEquals(3, plan.states().get("hot").replicas());
    assertEquals(1, plan.states().get("cold").replicas());
  }

  @Test
  void aSteadyPlacementIsLeftAloneAndAColdOneGoesAfterTheCoolDown() {
    List<NodeLoad> hot = fleet(6, "a", 25.0);
    ReplicationPlanner.Plan first = planner.replicate(hot, Map.of(), Map.of(), 0);
    Map<String, ReplicaPlacement> placements = apply(Map.of(), first.changes());
    ReplicationPlanner.Plan again = planner.replicate(hot, placements, first.states(), 1_000);
    assertTrue(again.changes().isEmpty(), "same rate, same nodes: " + again.changes());

    List<NodeLoad> cold = fleet(6, "a", 0.5);
    Map<String, ReplicationPolicy.State> states = again.states();
    List<ReplicationPlanner.Change> changes = List.of();
    long t = 2_000;
    for (; changes.isEmpty() && t < 60_000; t += 1_000) {
      ReplicationPlanner.Plan p = planner.replicate(cold, placements, states, t);
      states = p.states();
      changes = p.changes();
      placements = apply(placements, changes);
    }
    assertEquals(7_000, t - 1_000, "one replica fewer once the rate stayed low for the cool-down");
    ReplicationPlanner.Change drop = changes.getFirst();
    assertEquals(2, drop.placement().replicas());
    assertEquals(1, drop.unload().size(), "the node it left unloads it");
    assertFalse(drop.placement().nodes().contains(drop.unload().getFirst()));
    for (; placements.containsKey("a") && t < 60_000; t += 1_000) {
      ReplicationPlanner.Plan p = planner.replicate(cold, placements, states, t);
      states = p.states();
      changes = p.changes();
      placements = apply(placements, changes);
    }
    ReplicationPlanner.Change gone = changes.getFirst();
    assertNull(gone.placement(), "one replica: no placement, the home serves it");
    assertEquals(1, gone.unload().size(), "every node but the home unloads it");
    assertTrue(gone.detail().startsWith("2 -> 1"), gone.detail());
  }

  @Test
  void anAdapterThatFallsSilentIsForgotten() {
    List<NodeLoad> faint = fleet(3, "a", 0.001);
    ReplicationPlanner.Plan p = planner.replicate(faint, Map.of(), Map.of(), 0);
    assertTrue(p.changes().isEmpty());
    assertFalse(p.states().containsKey("a"), "below the forget rate at one replica: no memory kept");
    assertTrue(planner.replicate(List.of(), Map.of(), Map.of("x", ReplicationPolicy.State.initial(2)), 0).states()
        .containsKey("x"), "without announcements nothing is decided nor forgotten");
  }

  @Test
  void replicasCountOnlyAcceptingNodesAndLeaveADrainingOne() {
    List<NodeLoad> loads = new ArrayList<>(fleet(4, "a", 100.0));
    ReplicationPlanner.Plan first = planner.replicate(loads, Map.of(), Map.of(), 0);
    ReplicaPlacement p = first.changes().getFirst().placement();
    assertEquals(4, p.replicas());
    String leaving = p.nodes().get(1);
    loads.replaceAll(l -> l.node().equals(leaving) ? l.withAccepting(false) : l);
    ReplicationPlanner.Plan next = planner.replicate(loads, Map.of("a", p), first.states(), 1_000);
    ReplicationPlanner.Change c = next.changes().getFirst();
    assertEquals(3, c.placement().replicas(), "three accepting nodes left");
    assertFalse(c.placement().nodes().contains(leaving));
    assertEquals(List.of(leaving), c.unload());
  }

  @Test
  void aManualPlacementKeepsItsCountAndReplacesAGoneNode() {
    List<NodeLoad> loads = fleet(5, "m", 100.0);
    ReplicaPlacement manual = new ReplicaPlacement(2, List.of("n1", "n2"), "admin: 2 replicas", true);
    assertTrue(planner.replicate(loads, Map.of("m", manual), Map.of(), 0).changes().isEmpty(),
        "no automatic change of a manual count, whatever the rate");
    List<NodeLoad> without = loads.stream().filter(l -> !l.node().equals("n2")).toList();
    ReplicationPlanner.Change c = planner.replicate(without, Map.of("m", manual), Map.of(), 0).changes().getFirst();
    assertEquals("replace", c.kind());
    assertTrue(c.placement().manual());
    assertEquals(2, c.placement().nodes().size());
    assertEquals("n1", c.placement().nodes().getFirst());
    assertFalse(c.placement().nodes().contains("n2"));
    assertTrue(c.placement().reason().endsWith("replaced a gone node"));
  }

  @Test
  void replicasPlacedInOneRoundSeeTheRoundsEarlierChanges() {
    // b's replicas (beyond its home) go to nodes that hold none of a's, placed just before in the same round:
    // the hosted counts follow the round's own changes.
    List<NodeLoad> loads = fleet(8, "a", 25.0, "b", 25.0);
    ReplicationPlanner.Plan plan = planner.replicate(loads, Map.of(), Map.of(), 0);
    assertEquals(List.of("a", "b"), plan.changes().stream().map(ReplicationPlanner.Change::adapter).toList());
    List<String> a = plan.changes().get(0).placement().nodes();
    List<String> b = plan.changes().get(1).placement().nodes();
    for (String n : b.subList(1, b.size())) {
      assertFalse(a.contains(n), "b's replica on " + n + " joins one of a's " + a);
    }
  }

  @Test
  void adminReplicasMoveAndRebalance() {
    List<NodeLoad> loads = new ArrayList<>(fleet(4));
    loads.set(3, new NodeLoad("n3", SMALL, 0, 0, Set.of("x"), Map.of(), true, 0));
    assertThrows(IllegalArgumentException.class, () -> planner.setReplicas("x", 5, loads, Map.of(), Map.of()));
    ReplicationPlanner.Plan set = planner.setReplicas("x", 3, loads, Map.of(), Map.of());
    ReplicationPlanner.Change c = set.changes().getFirst();
    assertTrue(c.placement().manual());
    assertEquals(3, c.placement().nodes().size());
    assertEquals(3, set.states().get("x").replicas());
    assertEquals("admin-replicas", c.kind());

    Map<String, ReplicaPlacement> placements = Map.of("x", c.placement());
    assertThrows(IllegalArgumentException.class, () -> planner.move("x", "n9", loads, placements));
    String to = c.placement().nodes().getFirst();
    ReplicationPlanner.Change moved = planner.move("x", to, loads, placements);
    assertEquals(List.of(to), moved.placement().nodes());
    Set<String> holders = new HashSet<>(c.placement().nodes());
    holders.add("n3"); // resident there as announced
    holders.remove(to);
    assertEquals(holders, new HashSet<>(moved.unload()));

    ReplicaPlacement crowded = new ReplicaPlacement(2, List.of("n0", "n1"), "r", false);
    ReplicaPlacement same = new ReplicaPlacement(2, List.of("n0", "n1"), "r", false);
    List<ReplicationPlanner.Change> rebalanced = planner.rebalance(loads, Map.of("p", crowded, "q", same));
    assertFalse(rebalanced.isEmpty(), "two placements on the same two nodes of four are spread");
    rebalanced.forEach(r -> assertNull(r.kind(), "one decision for the whole rebalance, made by the caller"));
  }

  /** The placements after {@code changes}, as an executor would keep them. */
  private static Map<String, ReplicaPlacement> apply(Map<String, ReplicaPlacement> placements,
      List<ReplicationPlanner.Change> changes) {
    Map<String, ReplicaPlacement> out = new HashMap<>(placements);
    for (ReplicationPlanner.Change c : changes) {
      if (c.placement() == null) {
        out.remove(c.adapter());
      } else {
        out.put(c.adapter(), c.placement());
      }
    }
    return out;
  }
}
