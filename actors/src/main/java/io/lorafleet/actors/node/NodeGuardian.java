package io.lorafleet.actors.node;

import com.typesafe.config.Config;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.lorafleet.actors.adapters.AdapterEntity;
import io.lorafleet.actors.adapters.AdapterFetcher;
import io.lorafleet.actors.adapters.AdapterStore;
import io.lorafleet.actors.adapters.SourcePolicy;
import io.lorafleet.actors.batch.BatchBuilder;
import io.lorafleet.actors.cluster.AdapterShardAllocation;
import io.lorafleet.actors.cluster.ClusterSupervisor;
import io.lorafleet.actors.cluster.KubernetesProvisioner;
import io.lorafleet.actors.cluster.LocalProcessProvisioner;
import io.lorafleet.actors.cluster.Provisioner;
import io.lorafleet.actors.http.HttpApi;
import io.lorafleet.actors.http.NodeHandles;
import io.lorafleet.actors.metrics.ServerMetrics;
import io.lorafleet.actors.placement.NodeCapacity;
import io.lorafleet.actors.routing.FleetView;
import io.lorafleet.actors.routing.GenerationRouter;
import io.lorafleet.actors.routing.GenerationService;
import io.lorafleet.actors.routing.LoadReporter;
import io.lorafleet.runtime.engine.LocalEngine;
import io.lorafleet.runtime.errors.LoraFleetException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.Leave;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * Starts a node: joins the cluster (itself when no seed nodes are configured and no bootstrap runs: a
 * one-member cluster), starts the node's {@link AdapterStore}, the {@link BatchBuilder} of its engine, its
 * fleet actors ({@link GenerationService} on serving nodes, {@link FleetView}, {@link GenerationRouter}),
 * sharding for adapter entities (on serving nodes, placed by {@link AdapterShardAllocation}) and the
 * {@link ClusterSupervisor} singleton, registers the adapters directory, binds the HTTP server, then starts
 * announcing the node's capacity and load ({@link LoadReporter}). On a drain it stops accepting work, stops
 * its HTTP server once its requests are answered, waits until nothing runs here, and leaves the cluster
 * (its shards are handed off).
 */
public final class NodeGuardian {
  /** Messages of the guardian. */
  public interface Command {}

  private record Registered(int count, Throwable failure) implements Command {}

  private record Bound(ServerBinding binding, Throwable failure) implements Command {}

  private record DrainRequested(String reason) implements Command {}

  private enum DrainStep implements Command { STOP_HTTP, CHECK }

  private record HttpStopped(Throwable failure) implements Command {}

  private record Active(Integer count, Throwable failure) implements Command {}

  private record Withdrawn(Boolean ok, Throwable failure) implements Command {}

  /** Role of the nodes that serve (run an engine, host adapter shards, take relayed requests). */
  public static final String SERVING_ROLE = "gpu";

  private NodeGuardian() {}

  /** What the guardian holds once started. */
  private record Started(NodeSettings settings, FleetSettings fleet, LocalEngine engine, ServerMetrics metrics,
      NodeHandles handles, ActorRef<GenerationService.Command> service) {}

  /**
   * @param ready completed with the HTTP address once the node serves, or with the start failure
   */
  public static Behavior<Command> create(NodeSettings settings, LocalEngine engine, ServerMetrics metrics,
      String adminToken, CompletableFuture<InetSocketAddress> ready) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      Cluster cluster = Cluster.get(ctx.getSystem());
      if (ctx.getSystem().settings().config().getBoolean("lorafleet.cluster.bootstrap")) {
        // Pekko Management (health and bootstrap endpoints) + Cluster Bootstrap: discovery finds the peers.
        var classic = org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(ctx.getSystem());
        org.apache.pekko.management.javadsl.PekkoManagement.get(classic).start();
        org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap.get(classic).start();
      } else if (ctx.getSystem().settings().config().getStringList("pekko.cluster.seed-nodes").isEmpty()) {
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
      FleetSettings fleet = FleetSettings.from(ctx.getSystem().settings().config());
      boolean serves = cluster.selfMember().hasRole(SERVING_ROLE);
      SourcePolicy sources = new SourcePolicy(settings.roots(), settings.allowedUrls());
      AdapterFetcher fetcher = new AdapterFetcher(sources, settings.diskCacheDir(), settings.downloadMaxBytes(),
          settings.downloadTimeout());
      String node = cluster.selfMember().address().toString();
      ActorRef<AdapterStore.Command> store = ctx.spawn(AdapterStore.create(new AdapterStore.Settings(node,
          engine.engine(), engine.model().config(), settings.maxRank(), settings.cache(), sources, fetcher,
          settings.maxPending(), metrics)), "adapter-store");
      ActorRef<BatchBuilder.Command> batch = ctx.spawn(BatchBuilder.create(engine.engine()), "batch-builder");
      metrics.bindEngine(engine.engine());
      ActorRef<GenerationService.Command> service = serves ? ctx.spawn(restarting(GenerationService.create(store, batch,
          settings.adapterWaitTimeout(), ctx.messageAdapter(String.class, DrainRequested::new))), "generation-service")
          : null;
      ActorRef<FleetView.Command> view = ctx.spawn(restarting(FleetView.create(fleet.routing(), service)), "fleet-view");
      ActorRef<GenerationRouter.Command> router = ctx.spawn(restarting(GenerationRouter.create(view, metrics)),
          "generation-router");
      AdapterEntity.init(ctx.getSystem(), new AdapterShardAllocation(ctx.getSystem(), view, fleet.allocation()),
          SERVING_ROLE);
      ActorRef<ClusterSupervisor.Command> supervisor = null;
      if (fleet.supervisorEnabled()) {
        Executor blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(BLOCKING_DISPATCHER));
        String seed = cluster.selfMember().address().host().get() + ":" + cluster.selfMember().address().port().get();
        Supplier<Provisioner> provisioner = provisioner(fleet, settings, seed, blocking);
        supervisor = ClusterSingleton.get(ctx.getSystem()).init(SingletonActor.of(
                restarting(ClusterSupervisor.create(fleet.supervisor(), provisioner, metrics)), "cluster-supervisor")
            .withSettings(ClusterSingletonSettings.create(ctx.getSystem()).withRole(SERVING_ROLE)));
      }
      NodeHandles handles = new NodeHandles(ctx.getSystem(), engine, store, batch, metrics, sources,
          settings.maxBodyBytes(), settings.adapterWaitTimeout(), adminToken,
          new NodeHandles.FleetHandles(view, router, service, supervisor));
      ctx.pipeToSelf(registerDirectory(ctx, settings.adaptersDir(), sources), (n, err) -> new Registered(n == null ? 0 : n, err));
      return starting(ctx, timers, new Started(settings, fleet, engine, metrics, handles, service), ready);
    }));
  }

  /** The fleet's long-lived actors restart on an unexpected failure (their state is rebuilt from gossip). */
  private static <T> Behavior<T> restarting(Behavior<T> behavior) {
    return Behaviors.supervise(behavior).onFailure(SupervisorStrategy.restart());
  }

  /** Dispatcher for blocking cluster work (starting processes, Kubernetes API calls). */
  public static final String BLOCKING_DISPATCHER = "lorafleet.cluster-blocking-dispatcher";

  private static Supplier<Provisioner> provisioner(FleetSettings fleet, NodeSettings settings, String seed,
      Executor blocking) {
    Config k = fleet.raw().getConfig("lorafleet.cluster.supervisor.kubernetes");
    return switch (fleet.provisioner()) {
      case "none" -> null;
      case "local-process" -> () -> new LocalProcessProvisioner(fleet.raw(), settings.host(), seed, blocking);
      case "kubernetes" -> () -> {
        var cfg = k.getString("master-url").isEmpty() ? new io.fabric8.kubernetes.client.ConfigBuilder().build()
            : new io.fabric8.kubernetes.client.ConfigBuilder().withMasterUrl(k.getString("master-url")).build();
        return new KubernetesProvisioner(new KubernetesClientBuilder().withConfig(cfg).build(),
            k.getString("namespace"), k.getString("stateful-set"), k.getInt("max-replicas"), blocking);
      };
      default -> throw new IllegalArgumentException("lorafleet.cluster.supervisor.provisioner: unknown provisioner \""
          + fleet.provisioner() + "\" (none, local-process or kubernetes)");
    };
  }

  private static Behavior<Command> starting(ActorContext<Command> ctx, TimerScheduler<Command> timers, Started s,
      CompletableFuture<InetSocketAddress> ready) {
    return Behaviors.receive(Command.class)
        .onMessage(Registered.class, r -> {
          if (r.failure() != null) {
            ready.completeExceptionally(r.failure());
            return Behaviors.stopped();
          }
          if (s.settings().adaptersDir() != null) {
            ctx.getLog().info("registered {} adapters from {}", r.count(), s.settings().adaptersDir());
          }
          CompletionStage<ServerBinding> binding = Http.get(ctx.getSystem())
              .newServerAt(s.settings().host(), s.settings().port()).bind(new HttpApi(s.handles()).route());
          ctx.pipeToSelf(binding, Bound::new);
          return Behaviors.same();
        })
        .onMessage(Bound.class, b -> {
          if (b.failure() != null) {
            ready.completeExceptionally(b.failure());
            return Behaviors.stopped();
          }
          InetSocketAddress addr = b.binding().localAddress();
          ctx.getLog().info("serving {} on http://{}:{}", s.handles().modelName(), addr.getHostString(), addr.getPort());
          ActorRef<LoadReporter.Command> reporter = null;
          if (s.service() != null) {
            String node = Cluster.get(ctx.getSystem()).selfMember().address().toString();
            var engineConfig = s.engine().engine().config();
            long memory = s.fleet().deviceMemoryBytes() > 0 ? s.fleet().deviceMemoryBytes()
                : engineConfig.kvCacheBytes();
            NodeCapacity capacity = new NodeCapacity(memory, s.settings().cache().deviceAdapters(),
                engineConfig.maxNumSeqs());
            reporter = ctx.spawn(restarting(LoadReporter.create(new LoadReporter.Settings(node,
                    "http://" + addr.getHostString() + ":" + addr.getPort(), capacity, s.fleet().announceInterval(),
                    s.fleet().rateWindow()), s.engine().engine(), s.handles().store(), s.handles().batchBuilder(),
                s.service())), "load-reporter");
            ctx.getLog().info("announced capacity: {} bytes, {} adapter slots, batch {}", capacity.deviceMemoryBytes(),
                capacity.adapterSlots(), capacity.maxBatch());
          }
          ready.complete(addr);
          return serving(ctx, timers, s, b.binding(), reporter);
        })
        .onMessage(DrainRequested.class, d -> {
          ctx.getLog().warn("drain requested while the node is still starting: ignored ({})", d.reason());
          return Behaviors.same();
        })
        .build();
  }

  private static Behavior<Command> serving(ActorContext<Command> ctx, TimerScheduler<Command> timers, Started s,
      ServerBinding binding, ActorRef<LoadReporter.Command> reporter) {
    boolean[] draining = {false};
    return Behaviors.receive(Command.class)
        .onMessage(DrainRequested.class, d -> {
          if (!draining[0]) {
            draining[0] = true;
            ctx.getLog().info("drain: no longer accepting work ({})", d.reason());
            if (reporter != null) {
              reporter.tell(new LoadReporter.SetAccepting(false));
            }
            // Let the announcement spread before the HTTP server stops taking connections.
            timers.startSingleTimer(DrainStep.STOP_HTTP, Duration.ofSeconds(1));
          }
          return Behaviors.same();
        })
        .onMessage(DrainStep.class, step -> {
          if (step == DrainStep.STOP_HTTP) {
            ctx.pipeToSelf(binding.terminate(Duration.ofSeconds(120)), (done, err) -> new HttpStopped(err));
          } else {
            ctx.ask(Integer.class, s.service(), Duration.ofSeconds(5), GenerationService.GetActive::new, Active::new);
          }
          return Behaviors.same();
        })
        .onMessage(HttpStopped.class, h -> {
          ctx.getLog().info("drain: HTTP server stopped, its requests done");
          ctx.getSelf().tell(DrainStep.CHECK);
          return Behaviors.same();
        })
        .onMessage(Active.class, a -> {
          var st = s.engine().engine().stats();
          int active = a.count() == null ? -1 : a.count();
          if (active != 0 || st.waiting() + st.running() > 0) {
            timers.startSingleTimer(DrainStep.CHECK, Duration.ofMillis(200));
            return Behaviors.same();
          }
          ctx.getLog().info("drain: nothing runs here any more; leaving the cluster");
          if (reporter != null) {
            ctx.ask(Boolean.class, reporter, Duration.ofSeconds(5), LoadReporter.Withdraw::new, Withdrawn::new);
          } else {
            ctx.getSelf().tell(new Withdrawn(true, null));
          }
          return Behaviors.same();
        })
        .onMessage(Withdrawn.class, w -> {
          Cluster cluster = Cluster.get(ctx.getSystem());
          cluster.manager().tell(Leave.create(cluster.selfMember().address()));
          return Behaviors.same();
        })
        .onSignal(PostStop.class, sig -> {
          binding.unbind();
          return Behaviors.same();
        })
        .build();
  }

  private static final int REGISTER_ATTEMPTS = 4;

  /**
   * Registers one adapter, asking again when its record does not answer (a message to a shard being handed
   * off to another node may be dropped); null when no attempt got an answer.
   */
  private static CompletionStage<AdapterEntity.RegisterResult> register(ActorContext<Command> ctx,
      ClusterSharding sharding, String id, String spec, int attempts) {
    CompletionStage<AdapterEntity.RegisterResult> f = sharding.entityRefFor(AdapterEntity.TYPE_KEY, id)
        .ask(replyTo -> new AdapterEntity.Register(spec, replyTo), Duration.ofSeconds(10));
    return f.handle((r, err) -> err == null ? CompletableFuture.completedFuture(r)
            : attempts > 1 ? register(ctx, sharding, id, spec, attempts - 1).toCompletableFuture()
            : CompletableFuture.<AdapterEntity.RegisterResult>completedFuture(null))
        .thenCompose(x -> x);
  }

  /** Registers every sub-directory of {@code dir} under its name; completes with how many. */
  private static CompletionStage<Integer> registerDirectory(ActorContext<Command> ctx, Path dir, SourcePolicy sources) {
    if (dir == null) {
      return CompletableFuture.completedFuture(0);
    }
    List<Path> subdirs;
    try (Stream<Path> s = Files.list(dir)) {
      subdirs = s.filter(Files::isDirectory).sorted().toList();
    } catch (IOException e) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("adapters directory " + dir + ": " + e));
    }
    ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (Path sub : subdirs) {
      String id = sub.getFileName().toString();
      String spec;
      try {
        spec = sources.check(sub.toString(), "local").spec();
      } catch (LoraFleetException e) {
        ctx.getLog().warn("adapter directory {} skipped: {}", sub, e.getMessage());
        continue;
      }
      all.add(register(ctx, sharding, id, spec, REGISTER_ATTEMPTS).thenAccept(r -> {
        if (r == null) {
          ctx.getLog().warn("adapter directory {}: the adapter's record did not answer; it registers on first use", sub);
        } else if (r.conflict() != null) {
          ctx.getLog().warn("adapter directory {} not registered: {}", sub, r.conflict());
        }
      }).toCompletableFuture());
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(x -> all.size());
  }
}
