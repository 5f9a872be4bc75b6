package io.lorafleet.actors.placement;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where things go: adapter shards (the sharded adapter records) and adapter replicas (the nodes that serve
 * an adapter). Both weigh a node by its announced capacity and penalize its current load, so a node with
 * twice the batch takes about twice the share, and a busy node takes less than its share until it cools.
 *
 * <p>Cost of putting one more item on node {@code n} holding {@code c} items:
 * {@code (c + 1) / weight(n) * (1 + loadWeight * pressure(n))}; the cheapest accepting node wins, ties go to
 * the rendezvous-hash winner for the item (so every caller agrees and an item keeps its home).
 *
 * @param loadWeight         how much a full batch (pressure 1) inflates a node's cost
 * @param rebalanceThreshold items a node must be above its fair share before one is moved away
 * @param maxMovesPerRound   most items moved in one rebalance round
 */
public record AllocationPolicy(double loadWeight, double rebalanceThreshold, int maxMovesPerRound) {
  public static final AllocationPolicy DEFAULT = new AllocationPolicy(1.0, 1.0, 3);

  public AllocationPolicy {
    if (loadWeight < 0 || rebalanceThreshold < 1 || maxMovesPerRound < 1) {
      throw new IllegalArgumentException("invalid allocation policy " + loadWeight + ", " + rebalanceThreshold + ", "
          + maxMovesPerRound);
    }
  }

  /** The cost of one more item on {@code node} while it holds {@code count}. */
  public double cost(NodeLoad node, int count) {
    return (count + 1) / node.capacity().weight() * (1 + loadWeight * node.pressure());
  }

  /**
   * The node for a new item (a shard or an adapter without a home), among accepting nodes.
   *
   * @param key    the item's id (ties go to its rendezvous winner)
   * @param nodes  the candidate nodes
   * @param counts items each node holds now (missing: 0)
   */
  public Optional<String> allocate(String key, Collection<NodeLoad> nodes, Map<String, Integer> counts) {
    return nodes.stream().filter(NodeLoad::accepting)
        .min(Comparator.<NodeLoad>comparingDouble(n -> cost(n, counts.getOrDefault(n.node(), 0)))
            .thenComparing(n -> -RendezvousHash.score(key, n.node(), n.capacity().weight())))
        .map(NodeLoad::node);
  }

  /**
   * Items to move away now so that every node holds about its capacity share: every item of a node that
   * stopped accepting, then, one at a time, an item of the node furthest above its share (by at least
   * {@code rebalanceThreshold}) while a node below its share exists; at most {@code maxMovesPerRound}
   * (draining nodes excepted: they are emptied at once). Items in {@code inProgress} are neither counted
   * as movable nor moved again.
   *
   * @param itemsPerNode the items each node holds now (nodes absent from {@code nodes} are ignored)
   */
  public List<String> rebalance(Map<String, List<String>> itemsPerNode, Collection<NodeLoad> nodes,
      Set<String> inProgress) {
    List<String> moves = new ArrayList<>();
    Map<String, NodeLoad> byNode = new HashMap<>();
    for (NodeLoad n : nodes) {
      byNode.put(n.node(), n);
    }
    List<NodeLoad> accepting = nodes.stream().filter(NodeLoad::accepting).toList();
    if (accepting.isEmpty()) {
      return moves;
    }
    Map<String, List<String>> movable = new HashMap<>();
    int total = 0;
    for (var e : itemsPerNode.entrySet()) {
      if (!byNode.containsKey(e.getKey())) {
        continue;
      }
      List<String> items = new ArrayList<>(e.getValue().stream().filter(i -> !inProgress.contains(i)).sorted().toList());
      total += e.getValue().size();
      if (!byNode.get(e.getKey()).accepting()) {
        moves.addAll(items);
        items.clear();
      }
      movable.put(e.getKey(), items);
    }
    // Fair shares by weight, discounted by load, over the accepting nodes.
    Map<String, Double> share = new HashMap<>();
    double sum = 0;
    for (NodeLoad n : accepting) {
      double w = n.capacity().weight() / (1 + loadWeight * n.pressure());
      share.put(n.node(), w);
      sum += w;
    }
    Map<String, Integer> counts = new HashMap<>();
    for (NodeLoad n : accepting) {
      counts.put(n.node(), itemsPerNode.getOrDefault(n.node(), List.of()).size());
      share.put(n.node(), total * share.get(n.node()) / sum);
    }
    int budget = maxMovesPerRound;
    while (budget > 0) {
      String over = null;
      double most = rebalanceThreshold - 1e-9;
      boolean someoneUnder = false;
      for (NodeLoad n : accepting) {
        double excess = counts.get(n.node()) - share.get(n.node());
        if (excess >= most && !movable.getOrDefault(n.node(), List.of()).isEmpty()
            && (over == null || excess > most)) {
          over = n.node();
          most = excess;
        }
        if (counts.get(n.node()) + 1 <= share.get(n.node()) + 1e-9) {
          someoneUnder = true;
        }
      }
      if (over == null || !someoneUnder) {
        break;
      }
      List<String> items = movable.get(over);
      moves.add(items.remove(items.size() - 1));
      counts.merge(over, -1, Integer::sum);
      // The receiving node is chosen by allocate() when the item is placed again; count it there.
      String to = accepting.stream().filter(n -> counts.get(n.node()) + 1 <= share.get(n.node()) + 1e-9)
          .min(Comparator.comparingDouble(n -> cost(n, counts.get(n.node())))).map(NodeLoad::node).orElseThrow();
      counts.merge(to, 1, Integer::sum);
      budget--;
    }
    return moves;
  }

  /**
   * The nodes that serve an adapter with {@code count} replicas: the current ones that still accept (in
   * their order: the first is the adapter's home) up to {@code count}, then the cheapest others — a node
   * where the adapter is resident costs less (no load), and every node's cost counts the replicas it
   * already hosts ({@code hosted}) and its load.
   *
   * @param current the adapter's nodes now (may be empty)
   * @param hosted  replicas each node hosts now over all adapters (this adapter's included)
   */
  public List<String> placeReplicas(String adapter, int count, Collection<NodeLoad> nodes, List<String> current,
      Map<String, Integer> hosted) {
    Map<String, NodeLoad> byNode = new HashMap<>();
    for (NodeLoad n : nodes) {
      byNode.put(n.node(), n);
    }
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (String c : current) {
      NodeLoad n = byNode.get(c);
      if (n != null && n.accepting() && out.size() < count) {
        out.add(c);
      }
    }
    Map<String, Integer> counts = new HashMap<>(hosted);
    for (String c : current) {
      if (!out.contains(c) && counts.containsKey(c)) {
        counts.merge(c, -1, Integer::sum);
      }
    }
    while (out.size() < count) {
      Optional<NodeLoad> best = nodes.stream().filter(n -> n.accepting() && !out.contains(n.node()))
          .min(Comparator.<NodeLoad>comparingDouble(n -> cost(n, counts.getOrDefault(n.node(), 0))
                  * (n.resident(adapter) ? 0.5 : 1.0))
              .thenComparing(n -> -RendezvousHash.score(adapter, n.node(), n.capacity().weight())));
      if (best.isEmpty()) {
        break;
      }
      out.add(best.get().node());
      counts.merge(best.get().node(), 1, Integer::sum);
    }
    return List.copyOf(out);
  }
}
