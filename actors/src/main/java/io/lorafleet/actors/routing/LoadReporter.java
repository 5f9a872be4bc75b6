package io.lorafleet.actors.routing;

import io.lorafleet.actors.adapters.AdapterStore;
import io.lorafleet.actors.adapters.Tier;
import io.lorafleet.actors.batch.BatchBuilder;
import io.lorafleet.actors.placement.NodeCapacity;
import io.lorafleet.actors.serialization.WireProtocol;
import io.lorafleet.runtime.engine.Engine;
import io.lorafleet.runtime.engine.EngineStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;

/**
 * Announces this serving node to the fleet every {@code interval}: its capacity, the engine's queue and
 * running batch, the adapters resident in memory, a recent request rate per adapter (exponentially weighted
 * over {@code rateWindow}) and whether it accepts work. Written locally to Distributed Data, which gossips
 * it; on leaving, the node's entry is removed.
 */
public final class LoadReporter {
  /** Messages of the reporter. */
  public interface Command {}

  /** Stop (false) or resume (true) accepting work; announced at once. */
  public record SetAccepting(boolean accepting) implements Command {}

  /** Remove this node's announcement (it is leaving). */
  public record Withdraw(ActorRef<Boolean> replyTo) implements Command {}

  private enum Tick implements Command { INSTANCE }

  private record Sampled(AdapterStore.Snapshot store, long admitted, Throwable failure) implements Command {}

  private record Written(Replicator.UpdateResponse<LWWMap<String, NodeAnnouncement>> rsp, ActorRef<Boolean> then)
      implements Command {}

  /**
   * @param node    this node's address
   * @param httpUrl its HTTP API
   */
  public record Config(String node, String httpUrl, NodeCapacity capacity, Duration interval, Duration rateWindow) {}

  public static Behavior<Command> create(Config config, Engine engine, ActorRef<AdapterStore.Command> store,
      ActorRef<BatchBuilder.Command> batch, ActorRef<GenerationService.Command> service) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> DistributedData.withReplicatorMessageAdapter(
        (ReplicatorMessageAdapter<Command, LWWMap<String, NodeAnnouncement>> replicator) ->
            new LoadReporter(ctx, timers, replicator, config, engine, store, batch, service).behavior())));
  }

  private final ActorContext<Command> ctx;
  private final ReplicatorMessageAdapter<Command, LWWMap<String, NodeAnnouncement>> replicator;
  private final SelfUniqueAddress selfAddress;
  private final Config config;
  private final Engine engine;
  private final ActorRef<AdapterStore.Command> store;
  private final ActorRef<BatchBuilder.Command> batch;
  private final ActorRef<GenerationService.Command> service;
  private final Map<String, Long> lastHits = new HashMap<>();
  private final Map<String, Double> rates = new HashMap<>();
  private long lastSampleNanos = System.nanoTime();
  private boolean accepting = true;
  private boolean withdrawn;
  private long sequence;
  private final int protocolVersion;

  private LoadReporter(ActorContext<Command> ctx, TimerScheduler<Command> timers,
      ReplicatorMessageAdapter<Command, LWWMap<String, NodeAnnouncement>> replicator, Config config, Engine engine,
      ActorRef<AdapterStore.Command> store, ActorRef<BatchBuilder.Command> batch,
      ActorRef<GenerationService.Command> service) {
    this.ctx = ctx;
    this.replicator = replicator;
    this.selfAddress = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
    this.config = config;
    this.engine = engine;
    this.store = store;
    this.batch = batch;
    this.service = service;
    this.protocolVersion = WireProtocol.written(ctx.getSystem().settings().config());
    timers.startTimerWithFixedDelay(Tick.INSTANCE, config.interval());
    ctx.getSelf().tell(Tick.INSTANCE);
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Tick.class, t -> {
          sample();
          return Behaviors.same();
        })
        .onMessage(Sampled.class, this::onSampled)
        .onMessage(SetAccepting.class, s -> {
          accepting = s.accepting();
          sample();
          return Behaviors.same();
        })
        .onMessage(Withdraw.class, w -> {
          withdrawn = true;
          replicator.askUpdate(replyTo -> new Replicator.Update<>(FleetKeys.LOADS, LWWMap.create(),
              new Replicator.WriteAll(Duration.ofSeconds(3)), replyTo, m -> m.remove(selfAddress, config.node())),
              rsp -> new Written(rsp, w.replyTo()));
          return Behaviors.same();
        })
        .onMessage(Written.class, w -> {
          if (w.then() != null) {
            w.then().tell(w.rsp() instanceof Replicator.UpdateSuccess<?>);
          }
          return Behaviors.same();
        })
        .build();
  }

  private void sample() {
    if (withdrawn) {
      return;
    }
    var snap = AskPattern.<AdapterStore.Command, AdapterStore.Snapshot>ask(store, AdapterStore.GetSnapshot::new,
        Duration.ofSeconds(2), ctx.getSystem().scheduler());
    var admitted = AskPattern.<BatchBuilder.Command, Long>ask(batch, BatchBuilder.GetAdmitted::new,
        Duration.ofSeconds(2), ctx.getSystem().scheduler());
    ctx.pipeToSelf(snap.thenCombine(admitted, (s, a) -> new Sampled(s, a, null)),
        (s, err) -> err != null ? new Sampled(null, 0, err) : s);
  }

  private Behavior<Command> onSampled(Sampled s) {
    if (s.failure() != null || withdrawn) {
      return Behaviors.same();
    }
    long now = System.nanoTime();
    double dt = Math.max(1e-3, (now - lastSampleNanos) / 1e9);
    lastSampleNanos = now;
    double alpha = 1 - Math.exp(-dt / (config.rateWindow().toMillis() / 1000.0));
    List<String> resident = new ArrayList<>();
    Map<String, Long> hits = new HashMap<>();
    for (AdapterStore.AdapterView v : s.store().adapters()) {
      if (v.tier() == Tier.CPU || v.tier() == Tier.DEVICE) {
        resident.add(v.id());
      }
      hits.put(v.id(), v.hits());
    }
    for (var e : hits.entrySet()) {
      long delta = Math.max(0, e.getValue() - lastHits.getOrDefault(e.getKey(), 0L));
      double r = alpha * (delta / dt) + (1 - alpha) * rates.getOrDefault(e.getKey(), 0.0);
      rates.put(e.getKey(), r);
    }
    rates.keySet().removeIf(k -> !hits.containsKey(k) || rates.get(k) < 0.01);
    lastHits.clear();
    lastHits.putAll(hits);
    EngineStats st = engine.stats();
    String[] rateAdapters = rates.keySet().stream().sorted().toArray(String[]::new);
    double[] rateValues = new double[rateAdapters.length];
    for (int i = 0; i < rateAdapters.length; i++) {
      rateValues[i] = rates.get(rateAdapters[i]);
    }
    NodeCapacity c = config.capacity();
    NodeAnnouncement a = new NodeAnnouncement(config.node(), config.httpUrl(), service, c.deviceMemoryBytes(),
        c.adapterSlots(), c.maxBatch(), st.waiting(), st.running(), resident.stream().sorted().toArray(String[]::new),
        rateAdapters, rateValues, accepting, s.admitted(), ++sequence, protocolVersion);
    replicator.askUpdate(replyTo -> new Replicator.Update<>(FleetKeys.LOADS, LWWMap.create(),
        Replicator.writeLocal(), replyTo, m -> m.put(selfAddress, config.node(), a)), rsp -> new Written(rsp, null));
    return Behaviors.same();
  }
}
