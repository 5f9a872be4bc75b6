package io.lorafleet.actors.adapters;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;

/**
 * The cluster-wide adapter registry: adapter id → {@link RegisteredAdapter}, one replicated {@link LWWMap}
 * in Distributed Data. {@link AdapterEntity} writes it (register, pin, remove) with majority consistency
 * and reads it with majority consistency when it starts, so an entity that moved to another node finds its
 * registration; listings read the local replica.
 */
public final class AdapterRegistry {
  public static final Key<LWWMap<String, RegisteredAdapter>> KEY = LWWMapKey.create("lorafleet-adapters");
  static final Duration CONSISTENCY_TIMEOUT = Duration.ofSeconds(3);

  private AdapterRegistry() {}

  static Replicator.ReadConsistency readConsistency() {
    return new Replicator.ReadMajority(CONSISTENCY_TIMEOUT);
  }

  static Replicator.WriteConsistency writeConsistency() {
    return new Replicator.WriteMajority(CONSISTENCY_TIMEOUT);
  }

  static LWWMap<String, RegisteredAdapter> put(
      LWWMap<String, RegisteredAdapter> map, SelfUniqueAddress node, String id, RegisteredAdapter value) {
    return map.put(node, id, value);
  }

  /**
   * Whether adapter {@code id} is registered: this node's replica first, then a majority (a registration
   * made elsewhere moments ago may not have reached this replica). Reads only the replicated map: an id
   * nobody registered never starts a sharded entity.
   */
  static CompletionStage<Boolean> isRegistered(ActorSystem<?> system, String id, Duration timeout) {
    var replicator = DistributedData.get(system).replicator();
    CompletionStage<Replicator.GetResponse<LWWMap<String, RegisteredAdapter>>> local = AskPattern.ask(replicator,
        replyTo -> new Replicator.Get<>(KEY, Replicator.readLocal(), replyTo), timeout, system.scheduler());
    return local.thenCompose(rsp -> {
      if (contains(rsp, id)) {
        return java.util.concurrent.CompletableFuture.completedFuture(true);
      }
      CompletionStage<Replicator.GetResponse<LWWMap<String, RegisteredAdapter>>> majority = AskPattern.ask(replicator,
          replyTo -> new Replicator.Get<>(KEY, readConsistency(), replyTo), timeout, system.scheduler());
      return majority.thenApply(m -> contains(m, id));
    });
  }

  /**
   * Adapter {@code id}'s registration, or null when it is not registered: this node's replica first, then a
   * majority (as {@link #isRegistered}).
   */
  public static CompletionStage<RegisteredAdapter> lookup(ActorSystem<?> system, String id, Duration timeout) {
    var replicator = DistributedData.get(system).replicator();
    CompletionStage<Replicator.GetResponse<LWWMap<String, RegisteredAdapter>>> local = AskPattern.ask(replicator,
        replyTo -> new Replicator.Get<>(KEY, Replicator.readLocal(), replyTo), timeout, system.scheduler());
    return local.thenCompose(rsp -> {
      RegisteredAdapter found = entry(rsp, id);
      if (found != null) {
        return java.util.concurrent.CompletableFuture.completedFuture(found);
      }
      CompletionStage<Replicator.GetResponse<LWWMap<String, RegisteredAdapter>>> majority = AskPattern.ask(replicator,
          replyTo -> new Replicator.Get<>(KEY, readConsistency(), replyTo), timeout, system.scheduler());
      return majority.thenApply(m -> entry(m, id));
    });
  }

  private static RegisteredAdapter entry(Replicator.GetResponse<LWWMap<String, RegisteredAdapter>> rsp, String id) {
    return rsp instanceof Replicator.GetSuccess<LWWMap<String, RegisteredAdapter>> ok
        ? ok.get(KEY).getEntries().get(id) : null;
  }

  private static boolean contains(Replicator.GetResponse<LWWMap<String, RegisteredAdapter>> rsp, String id) {
    return rsp instanceof Replicator.GetSuccess<LWWMap<String, RegisteredAdapter>> ok
        && ok.get(KEY).getEntries().containsKey(id);
  }

  /** All registered adapters as this node's replica knows them, sorted by id. */
  public static CompletionStage<Map<String, RegisteredAdapter>> snapshot(ActorSystem<?> system, Duration timeout) {
    var replicator = DistributedData.get(system).replicator();
    CompletionStage<Replicator.GetResponse<LWWMap<String, RegisteredAdapter>>> f = AskPattern.ask(replicator,
        replyTo -> new Replicator.Get<>(KEY, Replicator.readLocal(), replyTo), timeout, system.scheduler());
    return f.thenApply(rsp -> {
      Map<String, RegisteredAdapter> out = new TreeMap<>();
      if (rsp instanceof Replicator.GetSuccess<LWWMap<String, RegisteredAdapter>> ok) {
        out.putAll(ok.get(KEY).getEntries());
      }
      return out;
    });
  }
}
