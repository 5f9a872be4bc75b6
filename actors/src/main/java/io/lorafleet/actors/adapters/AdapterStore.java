package io.lorafleet.actors.adapters;

import io.lorafleet.actors.metrics.ServerMetrics;
import io.lorafleet.actors.serialization.CrossNode;
import io.lorafleet.runtime.engine.AdapterResidencyEvent;
import io.lorafleet.runtime.engine.Engine;
import io.lorafleet.runtime.errors.AdapterIncompatibleException;
import io.lorafleet.runtime.errors.LoraFleetException;
import io.lorafleet.runtime.errors.ModelFormatException;
import io.lorafleet.runtime.errors.NotFoundException;
import io.lorafleet.runtime.errors.OverloadedException;
import io.lorafleet.runtime.format.LlamaConfig;
import io.lorafleet.runtime.model.LoraAdapter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The node-local adapter cache (one per node): the validated {@link LoraAdapter} weights (CPU tier) and the
 * downloaded adapter files (disk tier). It leases adapters to requests (counted: nothing leased is ever
 * evicted or unloaded), loads missing ones once however many requests wait for them (disk read, validation
 * and downloads run on the adapter-loading dispatcher and come back with {@code pipeToSelf}), evicts by the
 * {@link CachePolicy}, and reports each change to the adapter's {@link AdapterEntity}.
 *
 * <p>The device tier is not decided here: the engine's adapter residency alone puts adapters on the device
 * and takes them off, and the store hears each change as an {@link AdapterResidencyEvent} it subscribed to
 * (which it passes on to the entity). When weights leave this node the store asks the engine to take them
 * off the device too ({@link Engine#evictAdapter}).
 */
public final class AdapterStore extends AbstractBehavior<AdapterStore.Command> {
  /** Dispatcher for blocking adapter I/O and validation (see reference.conf). */
  public static final String LOADING_DISPATCHER = "lorafleet.adapter-loading-dispatcher";
  static final Duration RESOLVE_TIMEOUT = Duration.ofSeconds(3);
  /**
   * How often every adapter here is reported again: an entity that moved to another node (shard rebalance,
   * node failure) learns where its adapter is.
   */
  static final Duration REREPORT_INTERVAL = Duration.ofSeconds(5);

  /** Messages of the store. */
  public interface Command {}

  /** Leases adapter {@code id} (loading it first if needed); local only: the answer holds the weights. */
  public record Acquire(String id, String autoSource, ActorRef<AcquireResult> replyTo) implements Command {}

  /** Answer to {@link Acquire}. */
  public sealed interface AcquireResult {}

  /** The adapter, leased: send {@link Release} when the request is done with it. */
  public record Leased(LoraAdapter adapter) implements AcquireResult {}

  public record Refused(LoraFleetException error) implements AcquireResult {}

  /** Ends one lease of adapter {@code id}. */
  public record Release(String id) implements Command {}

  /** Unloads the adapter from this node once its in-flight requests finished; answers {@link AdapterEntity.NodeUnloaded}. */
  public record Unload(String id, ActorRef<AdapterEntity.Command> replyTo) implements Command, CrossNode {}

  public record PinChanged(String id, boolean pinned) implements Command, CrossNode {}

  /**
   * The adapter is no longer placed on this node (a cold replica): drop its weights from memory and the
   * device now if nothing uses it and it is not pinned (else the cache policy evicts it later).
   */
  public record Drop(String id) implements Command {}

  public record GetSnapshot(ActorRef<Snapshot> replyTo) implements Command {}

  /** One adapter on this node. */
  public record AdapterView(String id, Tier tier, int inFlight, long bytes, long diskBytes, long hits,
      long lastUseMillis, boolean pinned, String lastError) {}

  /** Per-tier cache counters. */
  public record TierStats(int entries, long bytes, long limit, long hits, long misses, long loads, long evictions) {}

  public record Snapshot(String node, List<AdapterView> adapters, Map<Tier, TierStats> tiers) {}

  private record Resolved(String id, AdapterEntity.Resolution resolution, Throwable failure, boolean fromRegistry)
      implements Command {}

  /** Whether an adapter is in the replicated registry (before its entity is asked). */
  private record Checked(String id, boolean registered, Throwable failure) implements Command {}

  private record Fetched(String id, AdapterFetcher.Fetched fetched, Throwable failure) implements Command {}

  private record Loaded(String id, LoraAdapter adapter, Throwable failure) implements Command {}

  /** The engine changed what is on its device. */
  private record DeviceChanged(AdapterResidencyEvent event) implements Command {}

  /** The engine took a removed adapter off its device. */
  private record OffDevice(String id, Throwable failure) implements Command {}

  private enum Rereport implements Command { INSTANCE }

  /**
   * What the store needs from its node.
   *
   * @param node         this node's address (as reported to entities)
   * @param engine       the engine whose device residency the store follows
   * @param baseConfig   the base model's config (adapters are validated against it)
   * @param maxRank      highest accepted adapter rank (0: no limit)
   * @param policy       cache limits and eviction order
   * @param sources      accepted adapter sources
   * @param fetcher      downloads into the disk cache
   * @param maxPending   requests allowed to wait for adapter loads on this node
   * @param metrics      where cache counters go
   */
  public record Config(String node, Engine engine, LlamaConfig baseConfig, int maxRank, CachePolicy policy,
      SourcePolicy sources, AdapterFetcher fetcher, int maxPending, ServerMetrics metrics) {}

  /**
   * Where an adapter's weights are on this node, in the order they climb (its files on disk are tracked
   * apart: {@link CachedAdapter#dir}, {@link CachedAdapter#download}).
   */
  private enum Phase {
    /** No weights in memory and none on the way. */
    ABSENT,
    /** Asking the adapter's entity (or the registry) where the adapter comes from. */
    RESOLVING,
    /** Downloading its files. */
    FETCHING,
    /** Reading and validating its weights from disk. */
    READING,
    /** Weights in memory. */
    IN_MEMORY,
    /** Weights in memory and on the engine's device. */
    ON_DEVICE;

    boolean loading() {
      return this == RESOLVING || this == FETCHING || this == READING;
    }

    boolean inMemory() {
      return this == IN_MEMORY || this == ON_DEVICE;
    }
  }

  /** A downloaded copy of an adapter's files in the disk cache. */
  private record Download(long bytes) {}

  /** One adapter on this node: its weights, files, leases and usage. */
  private static final class CachedAdapter {
    final String id;
    AdapterSource source;
    boolean pinned;
    Phase phase = Phase.ABSENT;
    /** The weights; set exactly while {@link #phase} is in memory. */
    LoraAdapter adapter;
    final List<ActorRef<AcquireResult>> waiters = new ArrayList<>();
    /** Where its files are (the source directory or the download), or null. */
    Path dir;
    /** Its files in the disk cache, or null. */
    Download download;
    /** Requests holding it now. */
    int leases;
    long hits;
    long lastUseNanos;
    long lastUseMillis;
    String lastError;
    /** The entity registered it for this load (first use): a failed load drops the registration again. */
    boolean provisional;
    /** Non-null while it is being removed from this node: who waits for that. */
    List<ActorRef<AdapterEntity.Command>> removal;

    CachedAdapter(String id) {
      this.id = id;
    }

    boolean removing() {
      return removal != null;
    }

    void setWeights(LoraAdapter weights) {
      adapter = weights;
      phase = weights == null ? Phase.ABSENT : Phase.IN_MEMORY;
    }

    Tier tier() {
      if (removing()) {
        return Tier.EVICTING;
      }
      return switch (phase) {
        case ON_DEVICE -> Tier.DEVICE;
        case IN_MEMORY -> Tier.CPU;
        case FETCHING -> Tier.FETCHING;
        default -> dir != null && (download != null || source != null && source.kind() == AdapterSource.Kind.LOCAL)
            ? Tier.DISK : Tier.UNKNOWN;
      };
    }
  }

  private static final class Counters {
    long hits;
    long misses;
    long loads;
    long evictions;
  }

  public static Behavior<Command> create(Config config) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new AdapterStore(ctx, timers, config)));
  }

  private final Config config;
  private final Executor blocking;
  private final ClusterSharding sharding;
  private final Map<String, CachedAdapter> entries = new LinkedHashMap<>();
  private final Map<Tier, Counters> counters = new EnumMap<>(Tier.class);
  private final Runnable unsubscribe;
  private int pending;

  private AdapterStore(ActorContext<Command> ctx, TimerScheduler<Command> timers, Config config) {
    super(ctx);
    this.config = config;
    this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(LOADING_DISPATCHER));
    this.sharding = ClusterSharding.get(ctx.getSystem());
    for (Tier t : List.of(Tier.DISK, Tier.CPU, Tier.DEVICE)) {
      counters.put(t, new Counters());
    }
    ActorRef<Command> self = ctx.getSelf();
    this.unsubscribe = config.engine().subscribe(e -> self.tell(new DeviceChanged(e)));
    timers.startTimerWithFixedDelay(Rereport.INSTANCE, REREPORT_INTERVAL);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Acquire.class, this::onAcquire)
        .onMessage(Release.class, this::onRelease)
        .onMessage(Unload.class, this::onUnload)
        .onMessage(PinChanged.class, this::onPinChanged)
        .onMessage(Drop.class, this::onDrop)
        .onMessage(GetSnapshot.class, this::onGetSnapshot)
        .onMessage(Checked.class, this::onChecked)
        .onMessage(Resolved.class, this::onResolved)
        .onMessage(Fetched.class, this::onFetched)
        .onMessage(Loaded.class, this::onLoaded)
        .onMessage(DeviceChanged.class, this::onDeviceChanged)
        .onMessage(OffDevice.class, this::onOffDevice)
        .onMessage(Rereport.class, r -> onRereport())
        .onSignal(PostStop.class, stop -> {
          unsubscribe.run();
          return this;
        })
        .build();
  }

  // ------------------------------------------------------------------ leases

  private Behavior<Command> onAcquire(Acquire a) {
    CachedAdapter s = entries.get(a.id());
    if (s != null && s.removing()) {
      a.replyTo().tell(new Refused(new NotFoundException("adapter " + a.id() + " is being removed")));
      return this;
    }
    if (s != null && s.phase.inMemory()) {
      hit(Tier.CPU);
      lease(s, a.replyTo());
      report(s);
      return this;
    }
    if (pending >= config.maxPending()) {
      a.replyTo().tell(new Refused(new OverloadedException("too many requests are waiting for adapters to load ("
          + config.maxPending() + ")")));
      return this;
    }
    if (s == null) {
      s = new CachedAdapter(a.id());
      entries.put(a.id(), s);
    }
    s.waiters.add(a.replyTo());
    pending++;
    if (!s.phase.loading()) {
      miss(Tier.CPU);
      if (s.source != null) {
        startLoad(s);
      } else {
        s.phase = Phase.RESOLVING;
        String id = a.id();
        if (a.autoSource() == null) {
          // An unknown id is answered from the replicated registry, without starting its entity.
          getContext().pipeToSelf(AdapterRegistry.isRegistered(getContext().getSystem(), id, RESOLVE_TIMEOUT),
              (known, err) -> new Checked(id, known != null && known, err));
        } else {
          resolve(id, a.autoSource());
        }
      }
    }
    return this;
  }

  private void resolve(String id, String autoSource) {
    getContext().ask(AdapterEntity.Resolution.class, sharding.entityRefFor(AdapterEntity.TYPE_KEY, id),
        RESOLVE_TIMEOUT,
        replyTo -> new AdapterEntity.Resolve(autoSource, config.node(), getContext().getSelf(), replyTo),
        (res, err) -> new Resolved(id, res, err, false));
  }

  private Behavior<Command> onChecked(Checked c) {
    CachedAdapter s = entries.get(c.id());
    if (s == null || s.phase != Phase.RESOLVING) {
      return this;
    }
    if (c.failure() != null || !c.registered()) {
      // Nothing is reported to the adapter's entity: that would start it for an id nobody registered.
      s.phase = Phase.ABSENT;
      failWaiters(s, c.failure() != null
          ? new OverloadedException("the adapter registry did not answer in time for adapter " + c.id())
          : new NotFoundException("unknown adapter " + c.id() + " (not registered; see GET /v1/models)"));
      if (s.leases == 0 && s.download == null && !s.removing()) {
        entries.remove(s.id);
      }
    } else {
      resolve(c.id(), null);
    }
    return this;
  }

  /** Hands the weights to one request; the device tier counts a hit when the engine has them on its device. */
  private void lease(CachedAdapter s, ActorRef<AcquireResult> replyTo) {
    s.leases++;
    s.hits++;
    s.lastUseNanos = System.nanoTime();
    s.lastUseMillis = System.currentTimeMillis();
    if (s.phase == Phase.ON_DEVICE) {
      hit(Tier.DEVICE);
    } else {
      miss(Tier.DEVICE);
    }
    replyTo.tell(new Leased(s.adapter));
  }

  private Behavior<Command> onRelease(Release r) {
    CachedAdapter s = entries.get(r.id());
    if (s == null || s.leases == 0) {
      getContext().getLog().warn("release of adapter {} without a lease", r.id());
      return this;
    }
    s.leases--;
    s.lastUseNanos = System.nanoTime();
    s.lastUseMillis = System.currentTimeMillis();
    if (s.removing() && s.leases == 0) {
      unloadFromDevice(s);
    } else {
      evictCpu();
    }
    report(s);
    return this;
  }

  // ------------------------------------------------------------------ loading

  private Behavior<Command> onResolved(Resolved r) {
    CachedAdapter s = entries.get(r.id());
    if (s == null) {
      return this;
    }
    if (r.failure() != null && !r.fromRegistry()) {
      // The entity did not answer (its node may have failed and its shard not moved yet): the replicated
      // registry knows every registered adapter's source.
      String id = r.id();
      getContext().pipeToSelf(AdapterRegistry.snapshot(getContext().getSystem(), RESOLVE_TIMEOUT),
          (reg, err) -> {
            RegisteredAdapter a = reg == null ? null : reg.get(id);
            return a == null ? new Resolved(id, null, err != null ? err : r.failure(), true)
                : new Resolved(id, new AdapterEntity.Resolution(id, a.source(), a.pinned(), false), null, true);
          });
      return this;
    }
    if (r.failure() != null) {
      failLoad(s, new OverloadedException("the adapter registry did not answer in time for adapter " + r.id()), false);
      return this;
    }
    AdapterEntity.Resolution res = r.resolution();
    if (res.source() == null) {
      failLoad(s, new NotFoundException(res.removing() ? "adapter " + r.id() + " is being removed"
          : "unknown adapter " + r.id() + " (not registered; see GET /v1/models)"), true);
      return this;
    }
    try {
      s.source = config.sources().check(res.source(), null);
    } catch (LoraFleetException e) {
      failLoad(s, e, true);
      return this;
    }
    s.pinned = res.pinned();
    s.provisional = res.provisional();
    startLoad(s);
    return this;
  }

  private void startLoad(CachedAdapter s) {
    String id = s.id;
    if (s.source.kind() == AdapterSource.Kind.LOCAL) {
      s.dir = s.source.path();
      hit(Tier.DISK);
      loadWeights(s);
      return;
    }
    if (s.download != null || config.fetcher().cached(id, s.source)) {
      hit(Tier.DISK);
      s.dir = config.fetcher().dirFor(id, s.source);
      loadWeights(s);
      return;
    }
    miss(Tier.DISK);
    s.phase = Phase.FETCHING;
    report(s);
    AdapterSource source = s.source;
    getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> config.fetcher().fetch(id, source), blocking),
        (f, err) -> new Fetched(id, f, unwrap(err)));
  }

  private Behavior<Command> onFetched(Fetched f) {
    CachedAdapter s = entries.get(f.id());
    if (s == null) {
      return this;
    }
    if (f.failure() != null) {
      failLoad(s, asLoraFleet(f.failure()), false);
      return this;
    }
    s.dir = f.fetched().dir();
    s.download = new Download(f.fetched().bytes());
    counters.get(Tier.DISK).loads++;
    config.metrics().cacheLoad("disk");
    evictDisk();
    if (s.removing()) {
      failLoad(s, new NotFoundException("adapter " + s.id + " is being removed"), false);
      return this;
    }
    loadWeights(s);
    return this;
  }

  private void loadWeights(CachedAdapter s) {
    s.phase = Phase.READING;
    String id = s.id;
    Path dir = s.dir;
    getContext().pipeToSelf(CompletableFuture.supplyAsync(
            () -> LoraAdapter.load(id, dir, config.baseConfig(), config.maxRank()), blocking),
        (a, err) -> new Loaded(id, a, unwrap(err)));
  }

  private Behavior<Command> onLoaded(Loaded l) {
    CachedAdapter s = entries.get(l.id());
    if (s == null) {
      return this;
    }
    if (l.failure() != null) {
      LoraFleetException e = asLoraFleet(l.failure());
      getContext().getLog().warn("adapter {} failed to load from {}: {}", s.id, s.dir, e.getMessage());
      e = withoutPath(e, s.dir, s.id);
      if (s.download != null) {
        deleteDownload(s);
      }
      failLoad(s, e, false);
      return this;
    }
    s.setWeights(l.adapter());
    s.lastError = null;
    s.provisional = false;
    counters.get(Tier.CPU).loads++;
    config.metrics().cacheLoad("cpu");
    getContext().getLog().info("adapter {} resident on tier cpu ({} KiB, rank {})", s.id, s.adapter.bytes() >> 10,
        s.adapter.maxRank());
    if (s.removing()) {
      failWaiters(s, new NotFoundException("adapter " + s.id + " is being removed"));
      unloadFromDevice(s);
      return this;
    }
    for (ActorRef<AcquireResult> w : s.waiters) {
      lease(s, w);
    }
    pending -= s.waiters.size();
    s.waiters.clear();
    if (s.pinned) {
      config.engine().prefetchAdapter(s.adapter);
    }
    evictCpu();
    report(s);
    publishUsage();
    return this;
  }

  private void failLoad(CachedAdapter s, LoraFleetException e, boolean forget) {
    if (s.provisional) {
      // Registered on first use by this very load, which failed: the entity drops the registration when it
      // hears this failure (the report below); nothing of it stays here either.
      s.provisional = false;
      forget = true;
    }
    s.phase = Phase.ABSENT;
    s.source = null; // ask the entity again next time: the registration may change after a failure
    s.lastError = e.getMessage();
    failWaiters(s, e);
    if (s.removing()) {
      if (s.leases == 0) {
        unloadFromDevice(s);
      }
      return;
    }
    report(s);
    if (forget && s.leases == 0 && s.download == null) {
      entries.remove(s.id);
    }
  }

  private void failWaiters(CachedAdapter s, LoraFleetException e) {
    for (ActorRef<AcquireResult> w : s.waiters) {
      w.tell(new Refused(e));
    }
    pending -= s.waiters.size();
    s.waiters.clear();
  }

  // ------------------------------------------------------------------ device tier (the engine's events)

  private Behavior<Command> onDeviceChanged(DeviceChanged d) {
    LoraAdapter a = d.event().adapter();
    CachedAdapter s = entries.get(a.id());
    if (s == null || s.adapter != a) {
      return this; // weights this store no longer holds (evicted, or reloaded since)
    }
    switch (d.event()) {
      case AdapterResidencyEvent.Loaded loaded -> {
        if (s.phase == Phase.IN_MEMORY) {
          s.phase = Phase.ON_DEVICE;
          counters.get(Tier.DEVICE).loads++;
          config.metrics().cacheLoad("device");
          report(s);
          publishUsage();
        }
      }
      case AdapterResidencyEvent.Evicted evicted -> {
        if (s.phase == Phase.ON_DEVICE) {
          s.phase = Phase.IN_MEMORY;
          counters.get(Tier.DEVICE).evictions++;
          config.metrics().cacheEviction("device");
          report(s);
          publishUsage();
        }
      }
      case AdapterResidencyEvent.Failed failed ->
          getContext().getLog().warn("adapter {} could not be put on the device: {}", s.id, failed.message());
    }
    return this;
  }

  private Behavior<Command> onRereport() {
    entries.values().forEach(this::report);
    publishUsage();
    return this;
  }

  // ------------------------------------------------------------------ eviction and removal

  private void evictCpu() {
    long used = 0;
    List<CachePolicy.Entry<CachedAdapter>> inMemory = new ArrayList<>();
    for (CachedAdapter s : entries.values()) {
      if (s.phase.inMemory()) {
        used += s.adapter.bytes();
        inMemory.add(new CachePolicy.Entry<>(s, s.adapter.bytes(), s.lastUseNanos, s.hits, s.pinned,
            s.leases > 0 || s.removing()));
      }
    }
    for (CachedAdapter victim : config.policy().victims(inMemory, used, 0, config.policy().cpuBytes())) {
      dropWeights(victim);
      getContext().getLog().info("adapter {} evicted from tier cpu", victim.id);
      report(victim);
    }
  }

  /** The weights leave this node's memory, and the engine's device as soon as nothing runs with them. */
  private void dropWeights(CachedAdapter s) {
    LoraAdapter a = s.adapter;
    s.setWeights(null);
    config.engine().evictAdapter(a);
    counters.get(Tier.CPU).evictions++;
    config.metrics().cacheEviction("cpu");
    publishUsage();
  }

  private void evictDisk() {
    long used = 0;
    List<CachePolicy.Entry<CachedAdapter>> onDisk = new ArrayList<>();
    for (CachedAdapter s : entries.values()) {
      if (s.download != null) {
        used += s.download.bytes();
        onDisk.add(new CachePolicy.Entry<>(s, s.download.bytes(), s.lastUseNanos, s.hits, s.pinned, s.phase.loading()));
      }
    }
    for (CachedAdapter victim : config.policy().victims(onDisk, used, 0, config.policy().diskBytes())) {
      deleteDownload(victim);
      counters.get(Tier.DISK).evictions++;
      config.metrics().cacheEviction("disk");
      report(victim);
    }
  }

  private void deleteDownload(CachedAdapter s) {
    Path dir = s.dir;
    s.download = null;
    s.dir = null;
    if (dir != null) {
      CompletableFuture.runAsync(() -> config.fetcher().delete(dir), blocking);
    }
  }

  private Behavior<Command> onUnload(Unload u) {
    CachedAdapter s = entries.get(u.id());
    if (s == null) {
      u.replyTo().tell(new AdapterEntity.NodeUnloaded(config.node()));
      return this;
    }
    if (s.removal == null) {
      s.removal = new ArrayList<>();
    }
    s.removal.add(u.replyTo());
    report(s);
    if (s.leases == 0 && !s.phase.loading()) {
      unloadFromDevice(s);
    }
    return this;
  }

  /** Once the engine has the adapter off its device (after its running sequences), the removal finishes. */
  private void unloadFromDevice(CachedAdapter s) {
    String id = s.id;
    if (!s.phase.inMemory()) {
      finishUnload(s);
      return;
    }
    getContext().pipeToSelf(config.engine().evictAdapter(s.adapter), (done, err) -> new OffDevice(id, err));
  }

  private Behavior<Command> onOffDevice(OffDevice o) {
    CachedAdapter s = entries.get(o.id());
    if (s != null) {
      finishUnload(s);
    }
    return this;
  }

  private void finishUnload(CachedAdapter s) {
    if (s.phase.inMemory()) {
      counters.get(Tier.CPU).evictions++;
      config.metrics().cacheEviction("cpu");
    }
    if (s.download != null) {
      deleteDownload(s);
    }
    entries.remove(s.id);
    getContext().getLog().info("adapter {} unloaded from this node", s.id);
    for (ActorRef<AdapterEntity.Command> w : s.removal) {
      w.tell(new AdapterEntity.NodeUnloaded(config.node()));
    }
    publishUsage();
  }

  private Behavior<Command> onDrop(Drop d) {
    CachedAdapter s = entries.get(d.id());
    if (s == null || !s.phase.inMemory() || s.leases > 0 || s.pinned || s.removing()) {
      return this;
    }
    dropWeights(s);
    getContext().getLog().info("adapter {} dropped from this node (no longer placed here)", s.id);
    report(s);
    return this;
  }

  private Behavior<Command> onPinChanged(PinChanged p) {
    CachedAdapter s = entries.get(p.id());
    if (s != null) {
      s.pinned = p.pinned();
      if (p.pinned() && s.phase.inMemory()) {
        config.engine().prefetchAdapter(s.adapter);
      }
    }
    return this;
  }

  // ------------------------------------------------------------------ reporting

  private void report(CachedAdapter s) {
    NodeResidency r = new NodeResidency(config.node(), getContext().getSelf(), s.tier(), s.leases,
        s.adapter == null ? 0 : s.adapter.bytes(), s.hits, s.lastUseMillis, s.lastError);
    sharding.entityRefFor(AdapterEntity.TYPE_KEY, s.id).tell(new AdapterEntity.Report(r));
  }

  private void hit(Tier t) {
    counters.get(t).hits++;
    config.metrics().cacheHit(t.wireName());
  }

  private void miss(Tier t) {
    counters.get(t).misses++;
    config.metrics().cacheMiss(t.wireName());
  }

  private Map<Tier, TierStats> tierStats() {
    Map<Tier, TierStats> out = new EnumMap<>(Tier.class);
    int dev = 0;
    int cpu = 0;
    int disk = 0;
    long devBytes = 0;
    long cpuBytes = 0;
    long diskBytes = 0;
    for (CachedAdapter s : entries.values()) {
      if (s.phase.inMemory()) {
        cpu++;
        cpuBytes += s.adapter.bytes();
        if (s.phase == Phase.ON_DEVICE) {
          dev++;
          devBytes += s.adapter.bytes();
        }
      }
      if (s.download != null) {
        disk++;
        diskBytes += s.download.bytes();
      }
    }
    CachePolicy p = config.policy();
    out.put(Tier.DEVICE, stats(Tier.DEVICE, dev, devBytes, p.deviceAdapters()));
    out.put(Tier.CPU, stats(Tier.CPU, cpu, cpuBytes, p.cpuBytes()));
    out.put(Tier.DISK, stats(Tier.DISK, disk, diskBytes, p.diskBytes()));
    return out;
  }

  private TierStats stats(Tier t, int count, long bytes, long limit) {
    Counters c = counters.get(t);
    return new TierStats(count, bytes, limit, c.hits, c.misses, c.loads, c.evictions);
  }

  private void publishUsage() {
    tierStats().forEach((t, s) -> config.metrics().cacheUsage(t.wireName(), s.entries(), s.bytes()));
  }

  private Behavior<Command> onGetSnapshot(GetSnapshot g) {
    List<AdapterView> views = new ArrayList<>();
    for (CachedAdapter s : entries.values()) {
      views.add(new AdapterView(s.id, s.tier(), s.leases, s.adapter == null ? 0 : s.adapter.bytes(),
          s.download == null ? 0 : s.download.bytes(), s.hits, s.lastUseMillis, s.pinned, s.lastError));
    }
    g.replyTo().tell(new Snapshot(config.node(), List.copyOf(views), tierStats()));
    return this;
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  private static LoraFleetException asLoraFleet(Throwable t) {
    if (t instanceof LoraFleetException e) {
      return e;
    }
    return new ModelFormatException("adapter could not be loaded (" + t.getClass().getSimpleName() + ")", t);
  }

  /**
   * A load error as clients see it: the adapter's directory (under a root, or in the disk cache) is named
   * by the adapter's id, so no server path reaches them (the log has it).
   */
  private static LoraFleetException withoutPath(LoraFleetException e, Path dir, String id) {
    if (dir == null || e.getMessage() == null || !e.getMessage().contains(dir.toString())) {
      return e;
    }
    String m = e.getMessage().replace(dir.toString(), "adapter " + id);
    return switch (e) {
      case AdapterIncompatibleException a -> new AdapterIncompatibleException(m);
      case ModelFormatException f -> new ModelFormatException(m);
      default -> e;
    };
  }
}
