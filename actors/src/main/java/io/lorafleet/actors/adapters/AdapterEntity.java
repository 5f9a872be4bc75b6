package io.lorafleet.actors.adapters;

import io.lorafleet.actors.serialization.CrossNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One adapter's record, as a Cluster Sharding entity (one per adapter id, wherever in the cluster): its
 * registration (source, pin, replicated in the {@link AdapterRegistry}), its usage (hits, request rate,
 * last use) and its residency on each node as the nodes' {@link AdapterStore}s report it (tier and
 * in-flight count). The weights themselves never come here: they live in each node's store.
 *
 * <p>Lifecycle per node: unknown → fetching → disk → cpu → device → evicting. A store asks the entity
 * before it loads ({@link Resolve}: is the adapter registered, from where); removal ({@link Remove}) asks
 * every node holding the adapter to unload it, which each does only once its in-flight requests finished,
 * and answers after all did.
 */
public final class AdapterEntity extends AbstractBehavior<AdapterEntity.Command> {
  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "LoraAdapter");
  private static final double RATE_WINDOW_SECONDS = 60;

  /** Messages of the entity. */
  public interface Command {}

  /**
   * May {@code node}'s {@code store} load the adapter, and from where? {@code autoSource} registers it first
   * when unknown. The entity counts the node as holding the adapter from now on (a removal waits for it).
   */
  public record Resolve(String autoSource, String node, ActorRef<AdapterStore.Command> store,
      ActorRef<Resolution> replyTo) implements Command, CrossNode {}

  /**
   * Answer to {@link Resolve}: {@code source} is null when the adapter is not registered (or being removed,
   * then {@code removing} is true).
   */
  public record Resolution(String id, String source, boolean pinned, boolean removing, boolean provisional)
      implements CrossNode {
    public Resolution(String id, String source, boolean pinned, boolean removing) {
      this(id, source, pinned, removing, false);
    }
  }


  /**
   * Registers the adapter with a source (already checked by the caller's {@link SourcePolicy}), owned by
   * tenant {@code owner} (null: public). {@code onFirstUse}: a tenant's request registers it by naming its
   * source; the registration goes again when the adapter fails to load (as one made by {@link Resolve}).
   */
  public record Register(String source, String owner, boolean onFirstUse, ActorRef<RegisterResult> replyTo)
      implements Command, CrossNode {
    /** A public registration by the admin API. */
    public Register(String source, ActorRef<RegisterResult> replyTo) {
      this(source, null, false, replyTo);
    }
  }

  /**
   * {@code conflict} is set when the id is registered with another source (or, from the admin API, another
   * owner); {@code owner} is the registration's owner as it stands (null: public).
   */
  public record RegisterResult(String id, String source, boolean created, String conflict, String owner)
      implements CrossNode {
    public RegisterResult(String id, String source, boolean created, String conflict) {
      this(id, source, created, conflict, null);
    }
  }

  /** A node's view of the adapter. */
  public record Report(NodeResidency residency) implements Command, CrossNode {}

  public record SetPinned(boolean pinned, ActorRef<AdapterStatus> replyTo) implements Command, CrossNode {}

  /** Unregisters the adapter once every node unloaded it (after its in-flight requests). */
  public record Remove(ActorRef<RemoveResult> replyTo) implements Command, CrossNode {}

  public record RemoveResult(String id, boolean existed) implements CrossNode {}

  /** A node's store unloaded the adapter (answer to {@link AdapterStore.Unload}). */
  public record NodeUnloaded(String node) implements Command, CrossNode {}

  public record GetStatus(ActorRef<AdapterStatus> replyTo) implements Command, CrossNode {}

  /**
   * The adapter's record.
   *
   * @param state the highest tier over all nodes ({@code evicting} while being removed)
   */
  public record AdapterStatus(
      String id, boolean registered, String source, boolean pinned, Tier state, long hits, double requestsPerSecond,
      long lastUseMillis, NodeResidency[] nodes) implements CrossNode {}

  private record RegistryRead(Replicator.GetResponse<LWWMap<String, RegisteredAdapter>> response) implements Command {}

  private record RegistryWritten(Replicator.UpdateResponse<LWWMap<String, RegisteredAdapter>> response,
      Runnable then) implements Command {}

  /**
   * Starts sharding for adapter entities on this node: entities live on nodes with {@code role}, placed by
   * {@code allocation}; other nodes reach them through a proxy.
   */
  public static void init(ActorSystem<?> system, ShardCoordinator.ShardAllocationStrategy allocation, String role) {
    ClusterSharding.get(system).init(Entity.of(TYPE_KEY, ctx -> create(ctx.getEntityId()))
        .withAllocationStrategy(allocation).withRole(role));
  }

  public static Behavior<Command> create(String id) {
    return Behaviors.withStash(10_000, stash -> Behaviors.setup(ctx ->
        DistributedData.withReplicatorMessageAdapter(
            (ReplicatorMessageAdapter<Command, LWWMap<String, RegisteredAdapter>> replicator) -> {
              replicator.askGet(replyTo -> new Replicator.Get<>(AdapterRegistry.KEY, AdapterRegistry.readConsistency(),
                  replyTo), RegistryRead::new);
              return starting(ctx, id, replicator, stash);
            })));
  }

  private static Behavior<Command> starting(ActorContext<Command> ctx, String id,
      ReplicatorMessageAdapter<Command, LWWMap<String, RegisteredAdapter>> replicator, StashBuffer<Command> stash) {
    return Behaviors.receive(Command.class)
        .onMessage(RegistryRead.class, r -> {
          RegisteredAdapter reg = null;
          if (r.response() instanceof Replicator.GetSuccess<LWWMap<String, RegisteredAdapter>> ok) {
            reg = ok.get(AdapterRegistry.KEY).getEntries().get(id);
          }
          return stash.unstashAll(new AdapterEntity(ctx, id, replicator, reg));
        })
        .onAnyMessage(m -> {
          stash.stash(m);
          return Behaviors.same();
        })
        .build();
  }

  private final String id;
  private final ReplicatorMessageAdapter<Command, LWWMap<String, RegisteredAdapter>> replicator;
  private final SelfUniqueAddress self;
  private RegisteredAdapter registration;
  private final Map<String, NodeResidency> nodes = new LinkedHashMap<>();
  private long hits;
  private double rate;
  private long rateNanos = System.nanoTime();
  private long lastUseMillis;
  private boolean removing;
  /** Registered on first use and not loaded anywhere yet. */
  private boolean provisional;
  private final Set<String> awaitingUnload = new HashSet<>();
  private final List<ActorRef<RemoveResult>> removeWaiters = new ArrayList<>();

  private AdapterEntity(ActorContext<Command> ctx, String id,
      ReplicatorMessageAdapter<Command, LWWMap<String, RegisteredAdapter>> replicator, RegisteredAdapter registration) {
    super(ctx);
    this.id = id;
    this.replicator = replicator;
    this.self = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
    this.registration = registration;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Resolve.class, this::onResolve)
        .onMessage(Register.class, this::onRegister)
        .onMessage(Report.class, this::onReport)
        .onMessage(SetPinned.class, this::onSetPinned)
        .onMessage(Remove.class, this::onRemove)
        .onMessage(NodeUnloaded.class, this::onNodeUnloaded)
        .onMessage(GetStatus.class, this::onGetStatus)
        .onMessage(RegistryWritten.class, this::onRegistryWritten)
        .onMessage(RegistryRead.class, r -> this)
        .build();
  }

  private Behavior<Command> onResolve(Resolve r) {
    if (!removing && (registration != null || r.autoSource() != null)) {
      nodes.putIfAbsent(r.node(), new NodeResidency(r.node(), r.store(), Tier.FETCHING, 0, 0, 0, 0, null));
    }
    if (removing) {
      r.replyTo().tell(new Resolution(id, null, false, true));
    } else if (registration != null) {
      r.replyTo().tell(new Resolution(id, registration.source(), registration.pinned(), false));
    } else if (r.autoSource() != null) {
      provisional = true;
      writeRegistration(new RegisteredAdapter(r.autoSource(), false),
          () -> r.replyTo().tell(new Resolution(id, registration.source(), registration.pinned(), false, true)));
    } else {
      r.replyTo().tell(new Resolution(id, null, false, false));
    }
    return this;
  }

  private Behavior<Command> onRegister(Register r) {
    if (removing) {
      r.replyTo().tell(new RegisterResult(id, null, false, "adapter " + id + " is being removed; retry when it is gone"));
    } else if (registration == null) {
      provisional = r.onFirstUse();
      writeRegistration(new RegisteredAdapter(r.source(), false, r.owner()),
          () -> r.replyTo().tell(new RegisterResult(id, r.source(), true, null, r.owner())));
    } else if (registration.source().equals(r.source()) && !r.onFirstUse()
        && !java.util.Objects.equals(registration.owner(), r.owner())) {
      r.replyTo().tell(new RegisterResult(id, registration.source(), false, "adapter " + id
          + " is already registered with owner " + (registration.owner() == null ? "(public)" : registration.owner())
          + "; DELETE it first to change the owner", registration.owner()));
    } else if (registration.source().equals(r.source())) {
      if (!r.onFirstUse()) {
        provisional = false;
      }
      r.replyTo().tell(new RegisterResult(id, r.source(), false, null, registration.owner()));
    } else {
      r.replyTo().tell(new RegisterResult(id, registration.source(), false, "adapter " + id
          + " is already registered with source " + registration.source() + "; DELETE it first to change the source",
          registration.owner()));
    }
    return this;
  }

  private void writeRegistration(RegisteredAdapter value, Runnable then) {
    registration = value;
    replicator.askUpdate(replyTo -> new Replicator.Update<>(AdapterRegistry.KEY, LWWMap.create(),
            AdapterRegistry.writeConsistency(), replyTo, map -> AdapterRegistry.put(map, self, id, value)),
        rsp -> new RegistryWritten(rsp, then));
  }

  private Behavior<Command> onRegistryWritten(RegistryWritten w) {
    if (!(w.response() instanceof Replicator.UpdateSuccess<?>)) {
      // Majority not reached in time: the write is applied locally and spreads by gossip.
      getContext().getLog().warn("registry write for adapter {} not confirmed by a majority: {}", id, w.response());
    }
    w.then().run();
    return this;
  }

  /**
   * A registration made on first use ({@link Resolution#provisional}) whose load failed (a node reports the
   * adapter absent with an error) goes again, unless some node has loaded it meanwhile: failed sources do not
   * stay registered.
   */
  private void dropIfProvisionalFailed(NodeResidency n) {
    boolean loadedSomewhere = nodes.values().stream()
        .anyMatch(x -> x.tier() == Tier.CPU || x.tier() == Tier.DEVICE);
    if (!provisional || removing || registration == null || loadedSomewhere || n.tier() != Tier.UNKNOWN
        || n.lastError() == null) {
      return;
    }
    getContext().getLog().info("adapter {} registered on first use did not load: unregistered again", id);
    provisional = false;
    registration = null;
    replicator.askUpdate(replyTo -> new Replicator.Update<>(AdapterRegistry.KEY, LWWMap.create(),
            AdapterRegistry.writeConsistency(), replyTo, map -> map.remove(self, id)),
        rsp -> new RegistryWritten(rsp, () -> { }));
  }

  private Behavior<Command> onReport(Report r) {
    NodeResidency n = r.residency();
    if (n.tier() == Tier.CPU || n.tier() == Tier.DEVICE) {
      provisional = false;
    }
    NodeResidency before = nodes.get(n.node());
    // A node's first report to this incarnation of the entity (it may have moved) is the baseline.
    long delta = before == null ? 0 : n.hits() - before.hits();
    if (delta > 0) {
      decayRate();
      rate += delta / RATE_WINDOW_SECONDS;
      hits += delta;
    }
    lastUseMillis = Math.max(lastUseMillis, n.lastUseMillis());
    if (n.tier() == Tier.UNKNOWN && n.lastError() == null) {
      nodes.remove(n.node());
    } else {
      nodes.put(n.node(), n);
    }
    dropIfProvisionalFailed(n);
    if (removing && n.tier() != Tier.UNKNOWN && awaitingUnload.add(n.node())) {
      n.store().tell(new AdapterStore.Unload(id, getContext().getSelf()));
    } else if (registration == null && !removing && n.tier() != Tier.UNKNOWN) {
      // A node holds an adapter that is no longer registered (its report crossed a removal): unload it there.
      n.store().tell(new AdapterStore.Unload(id, getContext().getSelf()));
    }
    return this;
  }

  private void decayRate() {
    long now = System.nanoTime();
    rate *= Math.exp(-(now - rateNanos) / 1e9 / RATE_WINDOW_SECONDS);
    rateNanos = now;
  }

  private Behavior<Command> onSetPinned(SetPinned p) {
    if (registration == null || removing) {
      p.replyTo().tell(status());
      return this;
    }
    writeRegistration(new RegisteredAdapter(registration.source(), p.pinned(), registration.owner()),
        () -> p.replyTo().tell(status()));
    for (NodeResidency n : nodes.values()) {
      n.store().tell(new AdapterStore.PinChanged(id, p.pinned()));
    }
    return this;
  }

  private Behavior<Command> onRemove(Remove r) {
    if (registration == null && !removing) {
      r.replyTo().tell(new RemoveResult(id, false));
      return this;
    }
    removeWaiters.add(r.replyTo());
    if (!removing) {
      removing = true;
      for (NodeResidency n : nodes.values()) {
        if (n.tier() != Tier.UNKNOWN) {
          awaitingUnload.add(n.node());
          n.store().tell(new AdapterStore.Unload(id, getContext().getSelf()));
        }
      }
      maybeFinishRemoval();
    }
    return this;
  }

  private Behavior<Command> onNodeUnloaded(NodeUnloaded u) {
    awaitingUnload.remove(u.node());
    nodes.remove(u.node());
    maybeFinishRemoval();
    return this;
  }

  private void maybeFinishRemoval() {
    if (!removing || !awaitingUnload.isEmpty()) {
      return;
    }
    replicator.askUpdate(replyTo -> new Replicator.Update<>(AdapterRegistry.KEY, LWWMap.create(),
            AdapterRegistry.writeConsistency(), replyTo, map -> map.remove(self, id)),
        rsp -> new RegistryWritten(rsp, () -> {
          registration = null;
          removing = false;
          awaitingUnload.clear();
          nodes.clear();
          hits = 0;
          rate = 0;
          for (ActorRef<RemoveResult> w : removeWaiters) {
            w.tell(new RemoveResult(id, true));
          }
          removeWaiters.clear();
        }));
    // Only one removal write: later NodeUnloaded messages find awaitingUnload empty but removing still set;
    // guard by marking the set with a sentinel until the write completes.
    awaitingUnload.add("\u0000registry-write");
  }

  private Behavior<Command> onGetStatus(GetStatus g) {
    g.replyTo().tell(status());
    return this;
  }

  private AdapterStatus status() {
    decayRate();
    Tier state = Tier.UNKNOWN;
    for (NodeResidency n : nodes.values()) {
      if (n.tier().ordinal() > state.ordinal() && n.tier() != Tier.EVICTING) {
        state = n.tier();
      }
    }
    if (removing) {
      state = Tier.EVICTING;
    }
    return new AdapterStatus(id, registration != null, registration == null ? null : registration.source(),
        registration != null && registration.pinned(), state, hits, rate, lastUseMillis,
        nodes.values().toArray(NodeResidency[]::new));
  }
}
