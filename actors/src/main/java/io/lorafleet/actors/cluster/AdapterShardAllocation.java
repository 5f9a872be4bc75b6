package io.lorafleet.actors.cluster;

import io.lorafleet.actors.placement.AllocationPolicy;
import io.lorafleet.actors.placement.NodeCapacity;
import io.lorafleet.actors.placement.NodeLoad;
import io.lorafleet.actors.routing.FleetView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.cluster.typed.Cluster;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * Places adapter shards (the sharded adapter records) with the {@link AllocationPolicy}: a new shard goes to
 * the node with the lowest cost by announced capacity and current load (not by shard count alone);
 * rebalancing moves shards toward each node's capacity share (a joined node receives shards, a draining one
 * hands its shards off) without the load term, so a load spike does not make shards ping-pong. Only nodes
 * that announced themselves take part: a node still starting keeps what it has and gets nothing yet. Loads
 * come from the {@link FleetView} of the node running the shard coordinator; without an answer in time it
 * falls back to the fewest shards.
 */
public final class AdapterShardAllocation extends ShardCoordinator.AbstractShardAllocationStrategy {
  private static final Duration ASK = Duration.ofSeconds(2);
  private static final NodeCapacity DEFAULT_CAPACITY = new NodeCapacity(0, 16, 64);

  private final ActorSystem<?> system;
  private final org.apache.pekko.actor.typed.ActorRef<FleetView.Command> fleet;
  private final AllocationPolicy policy;
  private final AllocationPolicy rebalancePolicy;

  public AdapterShardAllocation(ActorSystem<?> system, org.apache.pekko.actor.typed.ActorRef<FleetView.Command> fleet,
      AllocationPolicy policy) {
    this.system = system;
    this.fleet = fleet;
    this.policy = policy;
    this.rebalancePolicy = new AllocationPolicy(0, policy.rebalanceThreshold(), policy.maxMovesPerRound());
  }

  private String nodeOf(ActorRef region) {
    Address a = region.path().address();
    return a.hasGlobalScope() ? a.toString() : Cluster.get(system).selfMember().address().toString();
  }

  private CompletionStage<FleetView.Snapshot> snapshot() {
    return AskPattern.ask(fleet, FleetView.GetSnapshot::new, ASK, system.scheduler());
  }

  /** The loads of the announced nodes among {@code nodes}. */
  private static List<NodeLoad> loads(FleetView.Snapshot s, Set<String> nodes) {
    List<NodeLoad> out = new ArrayList<>();
    for (NodeLoad l : s.loads()) {
      if (nodes.contains(l.node())) {
        out.add(l);
      }
    }
    return out;
  }

  @Override
  public Future<ActorRef> allocateShard(ActorRef requester, String shardId, Map<ActorRef, IndexedSeq<String>> current) {
    Map<String, ActorRef> regions = new HashMap<>();
    Map<String, Integer> counts = new HashMap<>();
    current.forEach((region, shards) -> {
      regions.put(nodeOf(region), region);
      counts.put(nodeOf(region), shards.size());
    });
    ActorRef fewest = current.entrySet().stream().min(Comparator.comparingInt(e -> e.getValue().size()))
        .map(Map.Entry::getKey).orElse(requester);
    CompletionStage<ActorRef> chosen = snapshot().handle((s, err) -> {
      if (err != null) {
        return fewest;
      }
      List<NodeLoad> known = loads(s, regions.keySet());
      if (known.isEmpty()) {
        // Nobody announced yet (the fleet is starting): any region, by capacity alone.
        known = regions.keySet().stream().map(n -> NodeLoad.idle(n, DEFAULT_CAPACITY)).toList();
      }
      return policy.allocate(shardId, known, counts).map(regions::get).orElse(fewest);
    });
    return FutureConverters.asScala(chosen);
  }

  @Override
  public Future<Set<String>> rebalance(Map<ActorRef, IndexedSeq<String>> current, Set<String> inProgress) {
    Map<String, List<String>> items = new HashMap<>();
    current.forEach((region, shards) -> items.put(nodeOf(region), CollectionConverters.asJava(shards)));
    CompletionStage<Set<String>> moves = snapshot().handle((s, err) -> {
      if (err != null || !inProgress.isEmpty()) {
        return Set.of();
      }
      return new HashSet<>(rebalancePolicy.rebalance(items, loads(s, items.keySet()), inProgress));
    });
    return FutureConverters.asScala(moves);
  }
}
