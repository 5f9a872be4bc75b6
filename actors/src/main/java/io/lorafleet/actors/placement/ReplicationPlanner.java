package io.lorafleet.actors.placement;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The one planner of adapter replicas: from the nodes' announced loads, the current placements and the
 * replica counts' memory, what to change. The cluster supervisor executes its plans (writes placements to
 * Distributed Data, tells nodes to unload) and the simulator replays them on its model of the fleet, so both
 * run the same decisions. Pure: no actors, no clock, no randomness; the memory of the replica counts comes in
 * and goes out as {@link ReplicationPolicy.State}s.
 *
 * <p>One round ({@link #replicate}) visits every adapter with a rate or a placement, in id order:
 * <ul>
 *   <li>a manual placement (an admin's) keeps its count; a node of it that stops accepting is replaced;</li>
 *   <li>otherwise {@link ReplicationPolicy#decide} gives the replica count from the fleet-wide rate (over the
 *       accepting nodes); one replica means no placement (the adapter's home serves it); more are placed by
 *       {@link AllocationPolicy#placeReplicas}, starting from the current nodes or the adapter's rendezvous home
 *       among the accepting nodes; the nodes it leaves unload it.</li>
 * </ul>
 * The replicas each node hosts, which the allocation weighs, are counted from the placements and follow the
 * changes made earlier in the same round.
 *
 * @param replication replica counts from rates
 * @param allocation  where replicas go
 */
public record ReplicationPlanner(ReplicationPolicy replication, AllocationPolicy allocation) {

  /**
   * One change of an adapter's placement.
   *
   * @param adapter   the adapter
   * @param placement its new placement; null: it has none any more (its home serves it alone)
   * @param unload    nodes that no longer serve it and should unload it
   * @param kind      what kind of decision this is ({@code replicas}, {@code replace}, {@code admin-replicas},
   *                  {@code admin-move}), for logs and metrics; null for a change that is part of a larger
   *                  decision (a rebalance)
   * @param detail    the decision in words (null with {@code kind})
   */
  public record Change(String adapter, ReplicaPlacement placement, List<String> unload, String kind, String detail) {
    public Change {
      unload = List.copyOf(unload);
    }
  }

  /**
   * What to do: the changes, in order, and the replica counts' memory for the next round.
   *
   * @param states the memory of every adapter the next round should remember (the others start afresh)
   */
  public record Plan(List<Change> changes, Map<String, ReplicationPolicy.State> states) {
    public Plan {
      changes = List.copyOf(changes);
    }
  }

  /** Below this rate (requests per second) an adapter at one replica is forgotten. */
  static final double FORGET_RATE = 0.01;

  /**
   * One replication round.
   *
   * @param loads      the serving nodes as announced (those not accepting count as going away)
   * @param placements the current placements, by adapter
   * @param states     the memory the previous round handed back
   * @param nowMillis  the time of the round
   */
  public Plan replicate(List<NodeLoad> loads, Map<String, ReplicaPlacement> placements,
      Map<String, ReplicationPolicy.State> states, long nowMillis) {
    if (loads.isEmpty()) {
      return new Plan(List.of(), states);
    }
    Set<String> accepting = accepting(loads);
    List<NodeLoad> acceptingLoads = loads.stream().filter(NodeLoad::accepting).toList();
    Map<String, Double> rates = RoutingPolicy.fleetRates(loads);
    TreeSet<String> adapters = new TreeSet<>(rates.keySet());
    adapters.addAll(placements.keySet());
    Map<String, Integer> hosted = hosted(placements);
    Map<String, ReplicationPolicy.State> next = new HashMap<>();
    List<Change> changes = new ArrayList<>();
    for (String adapter : adapters) {
      ReplicaPlacement p = placements.get(adapter);
      double rate = rates.getOrDefault(adapter, 0.0);
      if (p != null && p.manual()) {
        ReplicationPolicy.State kept = states.get(adapter);
        if (kept != null) {
          next.put(adapter, kept);
        }
        if (!accepting.containsAll(p.nodes())) {
          List<String> nodes = allocation.placeReplicas(adapter, p.replicas(), loads, p.nodes(), hosted);
          if (!nodes.isEmpty() && !nodes.equals(p.nodes())) {
            move(hosted, p.nodes(), nodes);
            changes.add(new Change(adapter, new ReplicaPlacement(p.replicas(), nodes, p.reason()
                + "; replaced a gone node", true), List.of(), "replace", "placed on " + nodes
                + " (a node of its manual placement left)"));
          }
        }
        continue;
      }
      int current = p == null ? 1 : p.replicas();
      ReplicationPolicy.State state = states.get(adapter);
      if (state == null || state.replicas() != current) {
        state = ReplicationPolicy.State.initial(current);
      }
      ReplicationPolicy.State decided = replication.decide(state, rate, accepting.size(), nowMillis);
      next.put(adapter, decided);
      if (decided.replicas() <= 1) {
        if (p != null) {
          move(hosted, p.nodes(), List.of());
          changes.add(new Change(adapter, null, p.nodes().subList(1, p.nodes().size()), "replicas",
              p.replicas() + " -> 1 (" + why(rate) + ")"));
        }
        if (rate < FORGET_RATE) {
          next.remove(adapter);
        }
        continue;
      }
      if (p != null && p.replicas() == decided.replicas() && p.nodes().size() == decided.replicas()
          && accepting.containsAll(p.nodes())) {
        continue; // the allocation would keep exactly the current nodes
      }
      List<String> currentNodes = p != null ? p.nodes()
          : RoutingPolicy.home(adapter, acceptingLoads).map(h -> List.of(h.node())).orElse(List.of());
      List<String> nodes = allocation.placeReplicas(adapter, decided.replicas(), loads, currentNodes, hosted);
      if (p == null || !nodes.equals(p.nodes())) {
        String why = why(rate);
        move(hosted, p == null ? List.of() : p.nodes(), nodes);
        changes.add(new Change(adapter, new ReplicaPlacement(decided.replicas(), nodes, why, false),
            without(currentNodes, nodes), "replicas", current + " -> " + decided.replicas() + " on " + nodes + " ("
            + why + ")"));
      }
    }
    return new Plan(changes, next);
  }

  /**
   * An admin's replica count for one adapter: {@code count} nodes, kept until changed (manual).
   *
   * @throws IllegalArgumentException when {@code count} is not between 1 and the accepting nodes
   */
  public Plan setReplicas(String adapter, int count, List<NodeLoad> loads, Map<String, ReplicaPlacement> placements,
      Map<String, ReplicationPolicy.State> states) {
    long accepting = loads.stream().filter(NodeLoad::accepting).count();
    if (count < 1 || count > accepting) {
      throw new IllegalArgumentException("count must be between 1 and the " + accepting + " serving nodes, got "
          + count);
    }
    ReplicaPlacement p = placements.get(adapter);
    List<String> current = p != null ? p.nodes() : RoutingPolicy.home(adapter,
        loads.stream().filter(NodeLoad::accepting).toList()).map(h -> List.of(h.node())).orElse(List.of());
    List<String> nodes = allocation.placeReplicas(adapter, count, loads, current, hosted(placements));
    Map<String, ReplicationPolicy.State> next = new HashMap<>(states);
    next.put(adapter, ReplicationPolicy.State.initial(count));
    return new Plan(List.of(new Change(adapter, new ReplicaPlacement(count, nodes, "admin: " + count + " replicas",
        true), without(current, nodes), "admin-replicas", count + " replicas on " + nodes)), next);
  }

  /**
   * An admin's move of one adapter to node {@code to} alone (manual); every other node that holds it (placed
   * there, or resident as announced) unloads it.
   *
   * @throws IllegalArgumentException when {@code to} is not a node accepting work
   */
  public Change move(String adapter, String to, List<NodeLoad> loads, Map<String, ReplicaPlacement> placements) {
    if (loads.stream().noneMatch(l -> l.node().equals(to) && l.accepting())) {
      throw new IllegalArgumentException("node " + to + " is not a serving member accepting work");
    }
    ReplicaPlacement p = placements.get(adapter);
    List<String> before = new ArrayList<>();
    if (p != null) {
      before.addAll(p.nodes());
    }
    for (NodeLoad l : loads) {
      if (l.residentAdapters().contains(adapter) && !before.contains(l.node())) {
        before.add(l.node());
      }
    }
    return new Change(adapter, new ReplicaPlacement(1, List.of(to), "admin: moved to " + to, true),
        without(before, List.of(to)), "admin-move", "to " + to + " (was on " + before + ")");
  }

  /**
   * Every placement recomputed from the current loads (as if placed afresh, in adapter order), manual ones
   * included (their counts kept): the changes, none of them a decision of its own.
   */
  public List<Change> rebalance(List<NodeLoad> loads, Map<String, ReplicaPlacement> placements) {
    List<Change> changes = new ArrayList<>();
    Map<String, Integer> hosted = new HashMap<>();
    for (String adapter : new TreeSet<>(placements.keySet())) {
      ReplicaPlacement p = placements.get(adapter);
      List<String> nodes = allocation.placeReplicas(adapter, p.replicas(), loads, List.of(), hosted);
      nodes.forEach(n -> hosted.merge(n, 1, Integer::sum));
      if (!nodes.equals(p.nodes()) && !nodes.isEmpty()) {
        changes.add(new Change(adapter, new ReplicaPlacement(p.replicas(), nodes, "rebalanced", p.manual()),
            without(p.nodes(), nodes), null, p.nodes() + " -> " + nodes));
      }
    }
    return changes;
  }

  private String why(double rate) {
    return String.format(Locale.ROOT, "%.1f req/s over the fleet, %.1f per replica", rate,
        replication.ratePerReplica());
  }

  private static Set<String> accepting(List<NodeLoad> loads) {
    Set<String> out = new HashSet<>();
    for (NodeLoad l : loads) {
      if (l.accepting()) {
        out.add(l.node());
      }
    }
    return out;
  }

  /** Replicas each node hosts over all placements. */
  static Map<String, Integer> hosted(Map<String, ReplicaPlacement> placements) {
    Map<String, Integer> out = new HashMap<>();
    for (ReplicaPlacement p : placements.values()) {
      for (String n : p.nodes()) {
        out.merge(n, 1, Integer::sum);
      }
    }
    return out;
  }

  private static void move(Map<String, Integer> hosted, List<String> from, List<String> to) {
    from.forEach(n -> hosted.merge(n, -1, Integer::sum));
    to.forEach(n -> hosted.merge(n, 1, Integer::sum));
  }

  private static List<String> without(List<String> nodes, List<String> kept) {
    List<String> out = new ArrayList<>(nodes);
    out.removeAll(kept);
    return out;
  }
}
