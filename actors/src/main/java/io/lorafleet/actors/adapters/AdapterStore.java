package io.lorafleet.actors.adapters;

import io.lorafleet.actors.metrics.ServerMetrics;
import io.lorafleet.actors.serialization.CrossNode;
import io.lorafleet.runtime.engine.Engine;
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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The node-local adapter cache (one per node): the validated {@link LoraAdapter} weights (CPU tier), the
 * downloaded adapter files (disk tier) and, through the engine, the backend slots (device tier). It leases
 * adapters to requests (ref-counted: nothing in use is ever evicted or unloaded), loads missing ones once
 * however many requests wait for them (disk read, validation and downloads run on the adapter-loading
 * dispatcher and come back with {@code pipeToSelf}), evicts by the {@link CachePolicy}, and reports each
 * change to the adapter's {@link AdapterEntity}.
 */
public final class AdapterStore extends AbstractBehavior<AdapterStore.Command> {
  /** Dispatcher for blocking adapter I/O and validation (see reference.conf). */
  public static final String LOADING_DISPATCHER = "lorafleet.adapter-loading-dispatcher";
  static final Duration TICK = Duration.ofMillis(200);
  static final Duration RESOLVE_TIMEOUT = Duration.ofSeconds(3);
  private static final int REREPORT_TICKS = 25;

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

  /** Loads adapter {@code id} into a device slot ahead of its requests' first step (adapter exchange). */
  public record Prefetch(String id) implements Command {}

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
  public record SlotView(String id, Tier tier, int inFlight, long bytes, long diskBytes, long hits, long lastUseMillis,
      boolean pinned, String lastError) {}

  /** Per-tier cache counters. */
  public record TierStats(int entries, long bytes, long limit, long hits, long misses, long loads, long evictions) {}

  public record Snapshot(String node, List<SlotView> adapters, Map<Tier, TierStats> tiers) {}

  private record Resolved(String id, AdapterEntity.Resolution resolution, Throwable failure, boolean fromRegistry)
      implements Command {}

  private record Fetched(String id, AdapterFetcher.Fetched fetched, Throwable failure) implements Command {}

  private record Loaded(String id, LoraAdapter adapter, Throwable failure) implements Command {}

  private record Prefetched(String id, boolean ok, Throwable failure) implements Command {}

  private record DeviceUnloaded(String id, boolean ok, Throwable failure) implements Command {}

  private record RetryUnload(String id) implements Command {}

  private enum Tick implements Command { INSTANCE }

  /**
   * What the store needs from its node.
   *
   * @param node         this node's address (as reported to entities)
   * @param engine       the engine whose device slots the store drives
   * @param baseConfig   the base model's config (adapters are validated against it)
   * @param maxRank      highest accepted adapter rank (0: no limit)
   * @param policy       cache limits and eviction order
   * @param sources      accepted adapter sources
   * @param fetcher      downloads into the disk cache
   * @param maxPending   requests allowed to wait for adapter loads on this node
   * @param metrics      where cache counters go
   */
  public record Settings(String node, Engine engine, LlamaConfig baseConfig, int maxRank, CachePolicy policy,
      SourcePolicy sources, AdapterFetcher fetcher, int maxPending, ServerMetrics metrics) {}

  private static final class Slot {
    final String id;
    AdapterSource source;
    boolean pinned;
    boolean loading;
    final List<ActorRef<AcquireResult>> waiters = new ArrayList<>();
    LoraAdapter adapter;
    Path dir;
    boolean downloaded;
    long diskBytes;
    boolean onDevice;
    boolean fetching;
    int refs;
    long hits;
    long lastUseNanos;
    long lastUseMillis;
    String lastError;
    boolean removing;
    final List<ActorRef<AdapterEntity.Command>> unloadWaiters = new ArrayList<>();

    Slot(String id) {
      this.id = id;
    }

    Tier tier() {
      if (removing) {
        return Tier.EVICTING;
      }
      if (adapter != null) {
        return onDevice ? Tier.DEVICE : Tier.CPU;
      }
      if (fetching) {
        return Tier.FETCHING;
      }
      return dir != null && (downloaded || source != null && source.kind() == AdapterSource.Kind.LOCAL)
          ? Tier.DISK : Tier.UNKNOWN;
    }
  }

  private static final class Counters {
    long hits;
    long misses;
    long loads;
    long evictions;
  }

  public static Behavior<Command> create(Settings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new AdapterStore(ctx, timers, settings)));
  }

  private final Settings settings;
  private final Executor blocking;
  private final ClusterSharding sharding;
  private final Map<String, Slot> slots = new LinkedHashMap<>();
  private final Map<Tier, Counters> counters = new EnumMap<>(Tier.class);
  private Set<String> deviceResident = new HashSet<>();
  /**
   * Adapters a prefetch put on the device since the last tick: the engine publishes its resident set only
   * after its next step, so a tick may still read a snapshot without them.
   */
  private final Set<String> prefetchedSinceTick = new HashSet<>();
  private int pending;
  private int ticks;

  private AdapterStore(ActorContext<Command> ctx, TimerScheduler<Command> timers, Settings settings) {
    super(ctx);
    this.settings = settings;
    this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(LOADING_DISPATCHER));
    this.sharding = ClusterSharding.get(ctx.getSystem());
    for (Tier t : List.of(Tier.DISK, Tier.CPU, Tier.DEVICE)) {
      counters.put(t, new Counters());
    }
    timers.startTimerWithFixedDelay(Tick.INSTANCE, TICK);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Acquire.class, this::onAcquire)
        .onMessage(Release.class, this::onRelease)
        .onMessage(Prefetch.class, this::onPrefetch)
        .onMessage(Unload.class, this::onUnload)
        .onMessage(PinChanged.class, this::onPinChanged)
        .onMessage(Drop.class, this::onDrop)
        .onMessage(GetSnapshot.class, this::onGetSnapshot)
        .onMessage(Resolved.class, this::onResolved)
        .onMessage(Fetched.class, this::onFetched)
        .onMessage(Loaded.class, this::onLoaded)
        .onMessage(Prefetched.class, this::onPrefetched)
        .onMessage(DeviceUnloaded.class, this::onDeviceUnloaded)
        .onMessage(RetryUnload.class, this::onRetryUnload)
        .onMessage(Tick.class, t -> onTick())
        .build();
  }

  // ------------------------------------------------------------------ leases

  private Behavior<Command> onAcquire(Acquire a) {
    Slot s = slots.get(a.id());
    if (s != null && s.removing) {
      a.replyTo().tell(new Refused(new NotFoundException("adapter " + a.id() + " is being removed")));
      return this;
    }
    if (s != null && s.adapter != null) {
      hit(Tier.CPU);
      lease(s, a.replyTo());
      report(s);
      return this;
    }
    if (pending >= settings.maxPending()) {
      a.replyTo().tell(new Refused(new OverloadedException("too many requests are waiting for adapters to load ("
          + settings.maxPending() + ")")));
      return this;
    }
    if (s == null) {
      s = new Slot(a.id());
      slots.put(a.id(), s);
    }
    s.waiters.add(a.replyTo());
    pending++;
    if (!s.loading) {
      miss(Tier.CPU);
      s.loading = true;
      if (s.source != null) {
        startLoad(s);
      } else {
        String id = a.id();
        getContext().ask(AdapterEntity.Resolution.class, sharding.entityRefFor(AdapterEntity.TYPE_KEY, id),
            RESOLVE_TIMEOUT,
            replyTo -> new AdapterEntity.Resolve(a.autoSource(), settings.node(), getContext().getSelf(), replyTo),
            (res, err) -> new Resolved(id, res, err, false));
      }
    }
    return this;
  }

  private void lease(Slot s, ActorRef<AcquireResult> replyTo) {
    s.refs++;
    s.hits++;
    s.lastUseNanos = System.nanoTime();
    s.lastUseMillis = System.currentTimeMillis();
    replyTo.tell(new Leased(s.adapter));
  }

  private Behavior<Command> onRelease(Release r) {
    Slot s = slots.get(r.id());
    if (s == null || s.refs == 0) {
      getContext().getLog().warn("release of adapter {} without a lease", r.id());
      return this;
    }
    s.refs--;
    s.lastUseNanos = System.nanoTime();
    s.lastUseMillis = System.currentTimeMillis();
    if (s.removing && s.refs == 0) {
      unloadFromDevice(s);
    } else {
      evictCpu();
    }
    report(s);
    return this;
  }

  // ------------------------------------------------------------------ loading

  private Behavior<Command> onResolved(Resolved r) {
    Slot s = slots.get(r.id());
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
      s.source = settings.sources().check(res.source(), null);
    } catch (LoraFleetException e) {
      failLoad(s, e, true);
      return this;
    }
    s.pinned = res.pinned();
    startLoad(s);
    return this;
  }

  private void startLoad(Slot s) {
    String id = s.id;
    if (s.source.kind() == AdapterSource.Kind.LOCAL) {
      s.dir = s.source.path();
      hit(Tier.DISK);
      loadWeights(s);
      return;
    }
    if (s.downloaded || settings.fetcher().cached(id)) {
      hit(Tier.DISK);
      s.dir = settings.fetcher().dirFor(id);
      loadWeights(s);
      return;
    }
    miss(Tier.DISK);
    s.fetching = true;
    report(s);
    AdapterSource source = s.source;
    getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> settings.fetcher().fetch(id, source), blocking),
        (f, err) -> new Fetched(id, f, unwrap(err)));
  }

  private Behavior<Command> onFetched(Fetched f) {
    Slot s = slots.get(f.id());
    if (s == null) {
      return this;
    }
    s.fetching = false;
    if (f.failure() != null) {
      failLoad(s, asLoraFleet(f.failure()), false);
      return this;
    }
    s.dir = f.fetched().dir();
    s.downloaded = true;
    s.diskBytes = f.fetched().bytes();
    counters.get(Tier.DISK).loads++;
    settings.metrics().cacheLoad("disk");
    evictDisk();
    if (s.removing) {
      failLoad(s, new NotFoundException("adapter " + s.id + " is being removed"), false);
      return this;
    }
    loadWeights(s);
    return this;
  }

  private void loadWeights(Slot s) {
    String id = s.id;
    Path dir = s.dir;
    getContext().pipeToSelf(CompletableFuture.supplyAsync(
            () -> LoraAdapter.load(id, dir, settings.baseConfig(), settings.maxRank()), blocking),
        (a, err) -> new Loaded(id, a, unwrap(err)));
  }

  private Behavior<Command> onLoaded(Loaded l) {
    Slot s = slots.get(l.id());
    if (s == null) {
      return this;
    }
    if (l.failure() != null) {
      LoraFleetException e = asLoraFleet(l.failure());
      getContext().getLog().warn("adapter {} failed to load from {}: {}", s.id, s.dir, e.getMessage());
      if (s.downloaded) {
        deleteDownload(s);
      }
      failLoad(s, e, false);
      return this;
    }
    s.loading = false;
    s.adapter = l.adapter();
    s.lastError = null;
    counters.get(Tier.CPU).loads++;
    settings.metrics().cacheLoad("cpu");
    getContext().getLog().info("adapter {} resident on tier cpu ({} KiB, rank {})", s.id, s.adapter.bytes() >> 10,
        s.adapter.maxRank());
    if (s.removing) {
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
      prefetch(s);
    }
    evictCpu();
    report(s);
    return this;
  }

  private void failLoad(Slot s, LoraFleetException e, boolean forget) {
    s.loading = false;
    s.source = null; // ask the entity again next time: the registration may change after a failure
    s.fetching = false;
    s.lastError = e.getMessage();
    failWaiters(s, e);
    if (s.removing) {
      if (s.refs == 0) {
        unloadFromDevice(s);
      }
      return;
    }
    report(s);
    if (forget && s.adapter == null && s.refs == 0 && !s.downloaded) {
      slots.remove(s.id);
    }
  }

  private void failWaiters(Slot s, LoraFleetException e) {
    for (ActorRef<AcquireResult> w : s.waiters) {
      w.tell(new Refused(e));
    }
    pending -= s.waiters.size();
    s.waiters.clear();
  }

  // ------------------------------------------------------------------ device tier

  private Behavior<Command> onPrefetch(Prefetch p) {
    Slot s = slots.get(p.id());
    if (s == null || s.adapter == null) {
      return this;
    }
    if (deviceResident.contains(s.id)) {
      hit(Tier.DEVICE);
    } else {
      miss(Tier.DEVICE);
      prefetch(s);
    }
    return this;
  }

  private void prefetch(Slot s) {
    String id = s.id;
    getContext().pipeToSelf(settings.engine().prefetchAdapter(s.adapter), (ok, err) -> new Prefetched(id, ok != null && ok, err));
  }

  private Behavior<Command> onPrefetched(Prefetched p) {
    if (p.failure() != null) {
      getContext().getLog().warn("prefetch of adapter {} failed: {}", p.id(), p.failure().toString());
    }
    if (p.ok()) {
      // Resident now: later requests for it are device hits even before the engine publishes its new set.
      deviceResident.add(p.id());
      prefetchedSinceTick.add(p.id());
      Slot s = slots.get(p.id());
      if (s != null && s.adapter != null && !s.onDevice) {
        s.onDevice = true;
        counters.get(Tier.DEVICE).loads++;
        settings.metrics().cacheLoad("device");
        report(s);
      }
    }
    return this;
  }

  private Behavior<Command> onTick() {
    Set<String> now = new HashSet<>(settings.engine().residentAdapters());
    now.addAll(prefetchedSinceTick);
    prefetchedSinceTick.clear();
    for (Slot s : slots.values()) {
      boolean on = s.adapter != null && now.contains(s.id);
      if (on != s.onDevice) {
        s.onDevice = on;
        if (on) {
          counters.get(Tier.DEVICE).loads++;
          settings.metrics().cacheLoad("device");
        } else {
          counters.get(Tier.DEVICE).evictions++;
          settings.metrics().cacheEviction("device");
        }
        report(s);
      }
    }
    deviceResident = now;
    publishUsage();
    // Every few seconds, every adapter here is reported again: an entity that moved to another node (shard
    // rebalance, node failure) learns where its adapter is resident.
    if (++ticks % REREPORT_TICKS == 0) {
      slots.values().forEach(this::report);
    }
    return this;
  }

  // ------------------------------------------------------------------ eviction and removal

  private void evictCpu() {
    long used = 0;
    List<CachePolicy.Entry<Slot>> entries = new ArrayList<>();
    for (Slot s : slots.values()) {
      if (s.adapter != null) {
        used += s.adapter.bytes();
        entries.add(new CachePolicy.Entry<>(s, s.adapter.bytes(), s.lastUseNanos, s.hits, s.pinned,
            s.refs > 0 || s.removing));
      }
    }
    for (Slot victim : settings.policy().victims(entries, used, 0, settings.policy().cpuBytes())) {
      LoraAdapter a = victim.adapter;
      victim.adapter = null;
      victim.onDevice = false;
      settings.engine().unloadAdapter(a);
      counters.get(Tier.CPU).evictions++;
      settings.metrics().cacheEviction("cpu");
      getContext().getLog().info("adapter {} evicted from tier cpu", victim.id);
      report(victim);
    }
  }

  private void evictDisk() {
    long used = 0;
    List<CachePolicy.Entry<Slot>> entries = new ArrayList<>();
    for (Slot s : slots.values()) {
      if (s.downloaded) {
        used += s.diskBytes;
        entries.add(new CachePolicy.Entry<>(s, s.diskBytes, s.lastUseNanos, s.hits, s.pinned, s.loading));
      }
    }
    for (Slot victim : settings.policy().victims(entries, used, 0, settings.policy().diskBytes())) {
      deleteDownload(victim);
      counters.get(Tier.DISK).evictions++;
      settings.metrics().cacheEviction("disk");
      report(victim);
    }
  }

  private void deleteDownload(Slot s) {
    String id = s.id;
    s.downloaded = false;
    s.diskBytes = 0;
    s.dir = null;
    CompletableFuture.runAsync(() -> settings.fetcher().delete(id), blocking);
  }

  private Behavior<Command> onUnload(Unload u) {
    Slot s = slots.get(u.id());
    if (s == null) {
      u.replyTo().tell(new AdapterEntity.NodeUnloaded(settings.node()));
      return this;
    }
    s.removing = true;
    s.unloadWaiters.add(u.replyTo());
    report(s);
    if (s.refs == 0 && !s.loading) {
      unloadFromDevice(s);
    }
    return this;
  }

  private void unloadFromDevice(Slot s) {
    String id = s.id;
    if (s.adapter == null) {
      finishUnload(s);
      return;
    }
    getContext().pipeToSelf(settings.engine().unloadAdapter(s.adapter), (ok, err) -> new DeviceUnloaded(id, ok != null && ok, err));
  }

  private Behavior<Command> onDeviceUnloaded(DeviceUnloaded d) {
    Slot s = slots.get(d.id());
    if (s == null) {
      return this;
    }
    if (!d.ok() && s.adapter != null) {
      // Still in a running sequence (its release is on the way): try again shortly.
      getContext().scheduleOnce(Duration.ofMillis(20), getContext().getSelf(), new RetryUnload(d.id()));
      return this;
    }
    finishUnload(s);
    return this;
  }

  private Behavior<Command> onRetryUnload(RetryUnload r) {
    Slot s = slots.get(r.id());
    if (s != null && s.removing && s.refs == 0) {
      unloadFromDevice(s);
    }
    return this;
  }

  private void finishUnload(Slot s) {
    if (s.adapter != null) {
      counters.get(Tier.CPU).evictions++;
      settings.metrics().cacheEviction("cpu");
    }
    if (s.downloaded) {
      deleteDownload(s);
    }
    slots.remove(s.id);
    getContext().getLog().info("adapter {} unloaded from this node", s.id);
    for (ActorRef<AdapterEntity.Command> w : s.unloadWaiters) {
      w.tell(new AdapterEntity.NodeUnloaded(settings.node()));
    }
    publishUsage();
  }

  private Behavior<Command> onDrop(Drop d) {
    Slot s = slots.get(d.id());
    if (s == null || s.adapter == null || s.refs > 0 || s.pinned || s.removing || s.loading) {
      return this;
    }
    LoraAdapter a = s.adapter;
    s.adapter = null;
    s.onDevice = false;
    settings.engine().unloadAdapter(a);
    counters.get(Tier.CPU).evictions++;
    settings.metrics().cacheEviction("cpu");
    getContext().getLog().info("adapter {} dropped from this node (no longer placed here)", s.id);
    report(s);
    publishUsage();
    return this;
  }

  private Behavior<Command> onPinChanged(PinChanged p) {
    Slot s = slots.get(p.id());
    if (s != null) {
      s.pinned = p.pinned();
      if (p.pinned() && s.adapter != null) {
        prefetch(s);
      }
    }
    return this;
  }

  // ------------------------------------------------------------------ reporting

  private void report(Slot s) {
    NodeResidency r = new NodeResidency(settings.node(), getContext().getSelf(), s.tier(), s.refs,
        s.adapter == null ? 0 : s.adapter.bytes(), s.hits, s.lastUseMillis, s.lastError);
    sharding.entityRefFor(AdapterEntity.TYPE_KEY, s.id).tell(new AdapterEntity.Report(r));
  }

  private void hit(Tier t) {
    counters.get(t).hits++;
    settings.metrics().cacheHit(t.wireName());
  }

  private void miss(Tier t) {
    counters.get(t).misses++;
    settings.metrics().cacheMiss(t.wireName());
  }

  private Map<Tier, TierStats> tierStats() {
    Map<Tier, TierStats> out = new EnumMap<>(Tier.class);
    int dev = 0;
    int cpu = 0;
    int disk = 0;
    long devBytes = 0;
    long cpuBytes = 0;
    long diskBytes = 0;
    for (Slot s : slots.values()) {
      if (s.adapter != null) {
        cpu++;
        cpuBytes += s.adapter.bytes();
        if (s.onDevice) {
          dev++;
          devBytes += s.adapter.bytes();
        }
      }
      if (s.downloaded) {
        disk++;
        diskBytes += s.diskBytes;
      }
    }
    CachePolicy p = settings.policy();
    out.put(Tier.DEVICE, stats(Tier.DEVICE, dev, devBytes, p.deviceSlots()));
    out.put(Tier.CPU, stats(Tier.CPU, cpu, cpuBytes, p.cpuBytes()));
    out.put(Tier.DISK, stats(Tier.DISK, disk, diskBytes, p.diskBytes()));
    return out;
  }

  private TierStats stats(Tier t, int entries, long bytes, long limit) {
    Counters c = counters.get(t);
    return new TierStats(entries, bytes, limit, c.hits, c.misses, c.loads, c.evictions);
  }

  private void publishUsage() {
    tierStats().forEach((t, s) -> settings.metrics().cacheUsage(t.wireName(), s.entries(), s.bytes()));
  }

  private Behavior<Command> onGetSnapshot(GetSnapshot g) {
    List<SlotView> views = new ArrayList<>();
    for (Slot s : slots.values()) {
      views.add(new SlotView(s.id, s.tier(), s.refs, s.adapter == null ? 0 : s.adapter.bytes(), s.diskBytes, s.hits,
          s.lastUseMillis, s.pinned, s.lastError));
    }
    g.replyTo().tell(new Snapshot(settings.node(), List.copyOf(views), tierStats()));
    return this;
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  private static LoraFleetException asLoraFleet(Throwable t) {
    if (t instanceof LoraFleetException e) {
      return e;
    }
    return new ModelFormatException("adapter could not be loaded: " + t, t);
  }
}
