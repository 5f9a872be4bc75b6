package io.lorafleet.actors.placement;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * Which node serves a request. An adapter's requests go to its placement (the replica nodes the supervisor
 * chose; without one, its rendezvous-hash home among the nodes): the same nodes while they have room, so its
 * weights stay warm there (cache affinity). Among those, power of two choices on queue depth spreads a hot
 * adapter's load. When none of them has room, the request spills to the cheapest other node: one where the
 * adapter is already resident, else the least loaded (a load there costs {@code loadingPenalty}). Base-model
 * requests go to any node by power of two choices.
 *
 * @param roomPressure   a node has room while its pressure (queue + running over batch size) is below this
 * @param loadingPenalty pressure-equivalent cost of loading the adapter on a node where it is not resident
 */
public record RoutingPolicy(double roomPressure, double loadingPenalty) {
  public static final RoutingPolicy DEFAULT = new RoutingPolicy(2.0, 0.5);

  public RoutingPolicy {
    if (!(roomPressure > 0) || loadingPenalty < 0) {
      throw new IllegalArgumentException("invalid routing policy " + roomPressure + ", " + loadingPenalty);
    }
  }

  public boolean hasRoom(NodeLoad n) {
    return n.pressure() < roomPressure;
  }

  /**
   * The node for a request, if any node accepts.
   *
   * @param adapter   the adapter id, or null for the base model
   * @param nodes     the live nodes that serve
   * @param placement the adapter's replica nodes (home first), or empty when none was decided
   * @param excluded  nodes not to use (those that already failed this request)
   */
  public Optional<String> choose(String adapter, Collection<NodeLoad> nodes, List<String> placement,
      Set<String> excluded, RandomGenerator random) {
    List<NodeLoad> eligible = nodes.stream().filter(n -> n.accepting() && !excluded.contains(n.node()))
        .sorted(Comparator.comparing(NodeLoad::node)).toList();
    if (eligible.isEmpty()) {
      return Optional.empty();
    }
    if (adapter == null) {
      return Optional.of(twoChoices(eligible, random).node());
    }
    List<NodeLoad> preferred = preferred(adapter, eligible, placement);
    List<NodeLoad> roomy = preferred.stream().filter(this::hasRoom).toList();
    if (!roomy.isEmpty()) {
      return Optional.of(twoChoices(roomy, random).node());
    }
    Set<String> own = new HashSet<>();
    for (NodeLoad n : preferred) {
      own.add(n.node());
    }
    List<NodeLoad> others = eligible.stream().filter(n -> !own.contains(n.node()) && hasRoom(n)).toList();
    if (!others.isEmpty()) {
      return others.stream().min(Comparator.<NodeLoad>comparingDouble(n -> spillCost(adapter, n))
          .thenComparing(n -> -RendezvousHash.score(adapter, n.node(), n.capacity().weight()))).map(NodeLoad::node);
    }
    // Everyone is busy: stay with the adapter's nodes (they queue; their engines refuse real overload).
    return Optional.of(twoChoices(preferred, random).node());
  }

  /**
   * The adapter's own nodes among {@code eligible}: its placement (in placement order), else its rendezvous
   * home. Node names are unique among {@code eligible}.
   */
  public List<NodeLoad> preferred(String adapter, List<NodeLoad> eligible, List<String> placement) {
    List<NodeLoad> out = new ArrayList<>();
    if (!placement.isEmpty()) {
      // By name, in placement order; linear in the fleet and the placement (node names are unique).
      Set<String> wanted = new HashSet<>(placement);
      Map<String, NodeLoad> found = new HashMap<>();
      for (NodeLoad n : eligible) {
        if (wanted.contains(n.node())) {
          found.putIfAbsent(n.node(), n);
        }
      }
      for (String p : placement) {
        NodeLoad n = found.get(p);
        if (n != null) {
          out.add(n);
        }
      }
    }
    if (out.isEmpty()) {
      out.add(home(adapter, eligible).orElseThrow());
    }
    return out;
  }

  /** The adapter's rendezvous-hash home among {@code nodes} (weighted by capacity). */
  public static Optional<NodeLoad> home(String adapter, Collection<NodeLoad> nodes) {
    return nodes.stream().max(Comparator.comparingDouble(n -> RendezvousHash.score(adapter, n.node(),
        n.capacity().weight())));
  }

  private double spillCost(String adapter, NodeLoad n) {
    return n.pressure() + (n.resident(adapter) ? 0 : loadingPenalty);
  }

  /** Power of two choices: two distinct random nodes, the one with the shorter queue (then lower pressure). */
  static NodeLoad twoChoices(List<NodeLoad> nodes, RandomGenerator random) {
    if (nodes.size() == 1) {
      return nodes.get(0);
    }
    int a = random.nextInt(nodes.size());
    int b = random.nextInt(nodes.size() - 1);
    if (b >= a) {
      b++;
    }
    NodeLoad x = nodes.get(a);
    NodeLoad y = nodes.get(b);
    if (x.queueDepth() != y.queueDepth()) {
      return x.queueDepth() < y.queueDepth() ? x : y;
    }
    return x.pressure() <= y.pressure() ? x : y;
  }

  /** Requests per second per adapter over all nodes. */
  public static Map<String, Double> fleetRates(Collection<NodeLoad> nodes) {
    Map<String, Double> out = new java.util.TreeMap<>();
    for (NodeLoad n : nodes) {
      n.adapterRates().forEach((a, r) -> out.merge(a, r, Double::sum));
    }
    return out;
  }
}
