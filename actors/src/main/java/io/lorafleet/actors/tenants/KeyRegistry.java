package io.lorafleet.actors.tenants;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ddata.GSet;
import org.apache.pekko.cluster.ddata.GSetKey;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet-wide API keys in Distributed Data: issued keys (key id → {@link IssuedKey}, digests only) in an
 * {@link LWWMap}, revoked key ids in a grow-only {@link GSet} (a revocation can never be undone by a
 * concurrent write or a skewed clock). Issuing and revoking write to every reachable node at once
 * ({@code WriteAll}, 3 s) and update this node's {@link KeyRing} at once; nodes that did not answer get it by
 * gossip ({@code pekko.cluster.distributed-data.gossip-interval}, 1 s). Each node's subscriber keeps its ring
 * current (notified every {@code notify-subscribers-interval}, 200 ms).
 */
public final class KeyRegistry {
  private static final Logger log = LoggerFactory.getLogger(KeyRegistry.class);
  public static final Key<LWWMap<String, IssuedKey>> ISSUED = LWWMapKey.create("lorafleet-tenant-keys");
  public static final Key<GSet<String>> REVOKED = GSetKey.create("lorafleet-revoked-keys");
  static final Duration WRITE_TIMEOUT = Duration.ofSeconds(3);

  private KeyRegistry() {}

  /** Messages of the subscriber. */
  public interface Command {}

  private record Changed(Replicator.SubscribeResponse<?> rsp) implements Command {}

  private record Read(Object rsp) implements Command {}

  /**
   * Keeps {@code ring} current: reads both keys from a majority once (the ring counts as loaded when both
   * answered, or failed to), then follows every change.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static Behavior<Command> subscriber(KeyRing ring) {
    return Behaviors.setup(ctx -> {
      ActorRef<Replicator.Command> replicator = DistributedData.get(ctx.getSystem()).replicator();
      ActorRef<Replicator.SubscribeResponse> changes = ctx.messageAdapter(Replicator.SubscribeResponse.class,
          Changed::new);
      replicator.tell(new Replicator.Subscribe(ISSUED, (ActorRef) changes));
      replicator.tell(new Replicator.Subscribe(REVOKED, (ActorRef) changes));
      for (Key k : new Key[] {ISSUED, REVOKED}) {
        ctx.ask(Replicator.GetResponse.class, replicator, WRITE_TIMEOUT.plusSeconds(2),
            (ActorRef<Replicator.GetResponse> r) -> new Replicator.Get(k, new Replicator.ReadMajority(WRITE_TIMEOUT),
                (ActorRef) r),
            (rsp, err) -> new Read(rsp != null ? rsp : err));
      }
      int[] reads = {0};
      return Behaviors.receive(Command.class)
          .onMessage(Changed.class, c -> {
            if (c.rsp() instanceof Replicator.Changed<?> ch) {
              apply(ring, ch.key(), ch.dataValue());
            }
            return Behaviors.same();
          })
          .onMessage(Read.class, r -> {
            if (r.rsp() instanceof Replicator.GetSuccess<?> ok) {
              apply(ring, ok.key(), ok.dataValue());
            } else if (!(r.rsp() instanceof Replicator.NotFound<?>)) {
              log.warn("API keys: the first read from a majority did not succeed ({}); using what this node has",
                  r.rsp());
            }
            if (++reads[0] == 2) {
              ring.markLoaded();
            }
            return Behaviors.same();
          })
          .build();
    });
  }

  @SuppressWarnings("unchecked")
  private static void apply(KeyRing ring, Key<?> key, Object value) {
    if (key.equals(ISSUED)) {
      ring.issued(((LWWMap<String, IssuedKey>) value).getEntries().values());
    } else if (key.equals(REVOKED)) {
      ring.revoked(((GSet<String>) value).getElements());
    }
  }

  /** Replicates an issued key; completes with whether every reachable node confirmed it in time. */
  static CompletionStage<Boolean> issue(ActorSystem<?> system, KeyRing ring, IssuedKey key) {
    ring.issued(java.util.List.of(key));
    ActorRef<Replicator.Command> replicator = DistributedData.get(system).replicator();
    SelfUniqueAddress self = DistributedData.get(system).selfUniqueAddress();
    CompletionStage<Replicator.UpdateResponse<LWWMap<String, IssuedKey>>> f = AskPattern.ask(replicator,
        replyTo -> new Replicator.Update<>(ISSUED, LWWMap.create(), new Replicator.WriteAll(WRITE_TIMEOUT), replyTo,
            map -> map.put(self, key.id(), key)),
        WRITE_TIMEOUT.plusSeconds(2), system.scheduler());
    return f.thenApply(r -> r instanceof Replicator.UpdateSuccess<?>);
  }

  /** Replicates a revocation; completes with whether every reachable node confirmed it in time. */
  static CompletionStage<Boolean> revoke(ActorSystem<?> system, KeyRing ring, String id) {
    ring.revoked(java.util.List.of(id));
    ActorRef<Replicator.Command> replicator = DistributedData.get(system).replicator();
    CompletionStage<Replicator.UpdateResponse<GSet<String>>> f = AskPattern.ask(replicator,
        replyTo -> new Replicator.Update<>(REVOKED, GSet.create(), new Replicator.WriteAll(WRITE_TIMEOUT), replyTo,
            set -> set.add(id)),
        WRITE_TIMEOUT.plusSeconds(2), system.scheduler());
    return f.thenApply(r -> r instanceof Replicator.UpdateSuccess<?>);
  }
}
