package io.lorafleet.actors.routing;

import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;

/** The Distributed Data keys of the fleet. */
public final class FleetKeys {
  /** Node address → its latest {@link NodeAnnouncement}; each node writes its own entry. */
  public static final Key<LWWMap<String, NodeAnnouncement>> LOADS = LWWMapKey.create("lorafleet-node-loads");
  /** Adapter id → its {@link AdapterPlacement}; written by the supervisor. */
  public static final Key<LWWMap<String, AdapterPlacement>> PLACEMENTS = LWWMapKey.create("lorafleet-placements");

  private FleetKeys() {}

  /**
   * Subscribes the actor to changes of {@code keys} through one message adapter (an actor has one adapter
   * per message class, so two subscriptions must share it); {@link Replicator.Changed#key()} tells them apart.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static <C> void subscribe(ActorContext<C> ctx, Function<Replicator.SubscribeResponse<?>, C> wrap,
      Key<?>... keys) {
    ActorRef<Replicator.SubscribeResponse> adapter = ctx.messageAdapter(Replicator.SubscribeResponse.class,
        r -> wrap.apply(r));
    ActorRef<Replicator.Command> replicator = DistributedData.get(ctx.getSystem()).replicator();
    for (Key k : keys) {
      replicator.tell(new Replicator.Subscribe(k, (ActorRef) adapter));
    }
  }
}
