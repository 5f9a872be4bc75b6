package io.lorafleet.tools.simulation;

import io.lorafleet.actors.adapters.CachePolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One simulated GPU node: a two-tier adapter cache (device slots and host memory) whose evictions are
 * chosen by the serving node's own {@link CachePolicy} (LRU with frequency; entries in use are never
 * evicted, the tier may then stay over its limit until they are released, as in the real store), a serial
 * transfer channel for adapter loads, a queue, and a continuously batched engine.
 *
 * <p>The engine is simulated by its step count rather than step by step: every running sequence gains one
 * token per step, a step lasts {@link GpuNodeModel#stepSeconds} for the current batch, so a request admitted
 * at step count {@code v} finishes at {@code v + its steps}; the node keeps one pending event for its next
 * completion and moves it whenever the batch changes.
 */
final class GpuNode {
  private static final int NOT_ON_DEVICE = 0;
  private static final int LOADING = 1;
  private static final int ON_DEVICE = 2;

  /** One adapter as this node knows it. */
  private static final class AdapterState {
    final int adapter;
    final long bytes;
    int device = NOT_ON_DEVICE;
    boolean onHost;
    long hits;
    long lastUseNanos;
    int running;
    int queued;
    IntQueue waiters;
    long hitsAtSample;
    double rate;
    boolean rated;

    AdapterState(int adapter, long bytes) {
      this.adapter = adapter;
      this.bytes = bytes;
    }

    boolean inUse() {
      return running > 0 || queued > 0 || device == LOADING;
    }
  }

  final int index;
  final String name;
  private final GpuNodeModel model;
  private final CachePolicy cache;
  private final EventQueue events;
  private final RequestTrace trace;
  private final AdapterPopulation catalog;
  private final PolicyMetrics metrics;
  /** The adapter state of each request while it is on a node (shared by the nodes of one fleet). */
  private final Object[] stateOf;

  private final Map<Integer, AdapterState> states = new HashMap<>();
  private final List<AdapterState> onDevice = new ArrayList<>();
  private final List<AdapterState> onHost = new ArrayList<>();
  private final List<AdapterState> rated = new ArrayList<>();
  private long hostBytes;
  private Set<String> resident = Set.of();
  private boolean residentChanged;

  private final BatchHeap batch;
  private final IntQueue ready = new IntQueue();
  private int loadWaiters;
  private int distinct;
  private double steps;
  private double lastAdvance;
  private double stepSeconds;
  private int version;
  private double channelFreeAt;
  private double lastSample;
  private long admittedTotal;

  GpuNode(int index, String name, GpuNodeModel model, EventQueue events, RequestTrace trace, AdapterPopulation catalog,
      PolicyMetrics metrics, Object[] stateOf) {
    this.stateOf = stateOf;
    this.index = index;
    this.name = name;
    this.model = model;
    this.cache = new CachePolicy(model.adapterSlots(), model.hostCacheBytes(), Long.MAX_VALUE,
        Duration.ofMillis(Math.round(model.frequencyWeightSeconds() * 1000)));
    this.events = events;
    this.trace = trace;
    this.catalog = catalog;
    this.metrics = metrics;
    this.batch = new BatchHeap(model.maxBatch());
    this.stepSeconds = model.stepSeconds(0, 0);
  }

  int queueDepth() {
    return ready.size() + loadWaiters;
  }

  int running() {
    return batch.size();
  }

  /** A request routed here at {@code now}; refused when the queue is full. */
  void arrive(int request, double now) {
    metrics.routed(request, index);
    if (queueDepth() >= model.maxWaiting()) {
      metrics.rejected(request);
      return;
    }
    int a = trace.adapter(request);
    AdapterState s = states.computeIfAbsent(a, k -> new AdapterState(k, catalog.bytes(k)));
    s.hits++;
    s.lastUseNanos = nanos(now);
    if (!s.rated) {
      s.rated = true;
      rated.add(s);
    }
    boolean hit = s.device == ON_DEVICE;
    metrics.admitted(request, hit);
    admittedTotal++;
    s.queued++;
    stateOf[request] = s;
    if (hit) {
      ready.add(request);
      admit(now, false);
      return;
    }
    if (s.device == NOT_ON_DEVICE) {
      startLoad(s, now);
    }
    if (s.waiters == null) {
      s.waiters = new IntQueue();
    }
    s.waiters.add(request);
    loadWaiters++;
  }

  private void startLoad(AdapterState s, double now) {
    makeRoomOnDevice(1);
    s.device = LOADING;
    onDevice.add(s);
    double t = Math.max(now, channelFreeAt);
    if (!s.onHost) {
      makeRoomOnHost(s.bytes);
      s.onHost = true;
      onHost.add(s);
      hostBytes += s.bytes;
      residentChanged = true;
      t += s.bytes / model.diskBytesPerSecond();
    }
    t += s.bytes / model.hostToDeviceBytesPerSecond();
    channelFreeAt = t;
    metrics.transferred(s.bytes, now);
    events.push(t, EventQueue.LOAD_DONE, index, s.adapter);
  }

  /** An adapter transfer finished: its waiting requests join the queue. */
  void loadDone(int adapter, double now) {
    AdapterState s = states.get(adapter);
    s.device = ON_DEVICE;
    while (s.waiters != null && !s.waiters.isEmpty()) {
      ready.add(s.waiters.poll());
      loadWaiters--;
    }
    admit(now, false);
  }

  /** The batch reached its next completion (ignored when the batch changed since it was scheduled). */
  void complete(int scheduledVersion, double now) {
    if (scheduledVersion != version) {
      return;
    }
    advance(now);
    while (batch.size() > 0 && batch.minKey() <= steps + 1e-6) {
      int r = batch.pop();
      AdapterState s = (AdapterState) stateOf[r];
      stateOf[r] = null;
      if (--s.running == 0) {
        distinct--;
      }
      metrics.served(r, index);
    }
    if (onDevice.size() > model.adapterSlots()) {
      makeRoomOnDevice(0);
    }
    admit(now, true);
  }

  /** Admits queued requests while the batch has room; reschedules the next completion if anything changed. */
  private void admit(double now, boolean changed) {
    advance(now);
    while (batch.size() < model.maxBatch() && !ready.isEmpty()) {
      int r = ready.poll();
      AdapterState s = (AdapterState) stateOf[r];
      s.queued--;
      if (now - trace.time(r) > model.requestTimeoutSeconds()) {
        stateOf[r] = null;
        metrics.timedOut(r);
        continue;
      }
      metrics.started(r, now);
      if (s.running++ == 0) {
        distinct++;
      }
      s.lastUseNanos = nanos(now);
      batch.push(steps + trace.steps(r), r);
      changed = true;
    }
    if (changed) {
      stepSeconds = model.stepSeconds(batch.size(), distinct);
      version++;
      if (batch.size() > 0) {
        events.push(now + Math.max(0, batch.minKey() - steps) * stepSeconds, EventQueue.COMPLETION, index, version);
      }
    }
  }

  private void advance(double now) {
    if (batch.size() > 0) {
      steps += (now - lastAdvance) / stepSeconds;
    }
    lastAdvance = now;
  }

  private void makeRoomOnDevice(int incoming) {
    if (onDevice.size() + incoming <= model.adapterSlots()) {
      return;
    }
    List<CachePolicy.Entry<AdapterState>> entries = new ArrayList<>(onDevice.size());
    for (AdapterState s : onDevice) {
      entries.add(new CachePolicy.Entry<>(s, 1, s.lastUseNanos, s.hits, false, s.inUse()));
    }
    for (AdapterState v : cache.victims(entries, onDevice.size(), incoming, model.adapterSlots())) {
      v.device = NOT_ON_DEVICE;
      onDevice.remove(v);
    }
  }

  private void makeRoomOnHost(long incoming) {
    if (hostBytes + incoming <= model.hostCacheBytes()) {
      return;
    }
    List<CachePolicy.Entry<AdapterState>> entries = new ArrayList<>(onHost.size());
    for (AdapterState s : onHost) {
      entries.add(new CachePolicy.Entry<>(s, s.bytes, s.lastUseNanos, s.hits, false,
          s.inUse() || s.device != NOT_ON_DEVICE));
    }
    for (AdapterState v : cache.victims(entries, hostBytes, incoming, model.hostCacheBytes())) {
      removeFromHost(v);
    }
  }

  private void removeFromHost(AdapterState s) {
    s.onHost = false;
    onHost.remove(s);
    hostBytes -= s.bytes;
    residentChanged = true;
    forgetIfUnused(s);
  }

  private void forgetIfUnused(AdapterState s) {
    if (s.device == NOT_ON_DEVICE && !s.onHost && !s.inUse() && !s.rated) {
      states.remove(s.adapter);
    }
  }

  /**
   * The adapter is no longer placed here (a cold replica): drop it from the device and memory now if nothing
   * uses it, else leave it to the cache policy (as the serving node's store does).
   */
  void drop(int adapter) {
    AdapterState s = states.get(adapter);
    if (s == null || s.inUse()) {
      return;
    }
    if (s.device == ON_DEVICE) {
      s.device = NOT_ON_DEVICE;
      onDevice.remove(s);
    }
    if (s.onHost) {
      removeFromHost(s);
    }
  }

  /**
   * Samples the node as its load reporter does: queue, batch, resident adapters and a per-adapter request
   * rate, exponentially weighted over {@code rateWindowSeconds} (rates under 0.01/s are left out).
   */
  NodeSample sample(double now, double rateWindowSeconds) {
    double dt = Math.max(1e-3, now - lastSample);
    lastSample = now;
    double alpha = 1 - Math.exp(-dt / rateWindowSeconds);
    Map<String, Double> rates = new HashMap<>();
    int kept = 0;
    for (int i = 0; i < rated.size(); i++) {
      AdapterState s = rated.get(i);
      long delta = s.hits - s.hitsAtSample;
      s.hitsAtSample = s.hits;
      s.rate = alpha * (delta / dt) + (1 - alpha) * s.rate;
      if (s.rate < 0.01) {
        s.rate = 0;
        s.rated = false;
        forgetIfUnused(s);
      } else {
        rated.set(kept++, s);
        rates.put(catalog.id(s.adapter), s.rate);
      }
    }
    rated.subList(kept, rated.size()).clear();
    if (residentChanged) {
      List<String> ids = new ArrayList<>(onHost.size());
      for (AdapterState s : onHost) {
        ids.add(catalog.id(s.adapter));
      }
      resident = Set.copyOf(ids);
      residentChanged = false;
    }
    return new NodeSample(index, queueDepth(), running(), resident, rates, admittedTotal);
  }

  private static long nanos(double seconds) {
    return Math.round(seconds * 1e9);
  }
}
