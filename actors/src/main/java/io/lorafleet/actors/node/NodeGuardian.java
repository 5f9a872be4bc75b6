package io.lorafleet.actors.node;

import io.lorafleet.actors.adapters.AdapterDirectory;
import io.lorafleet.actors.adapters.AdapterEntity;
import io.lorafleet.actors.adapters.AdapterFetcher;
import io.lorafleet.actors.adapters.AdapterStore;
import io.lorafleet.actors.adapters.SourcePolicy;
import io.lorafleet.actors.batch.BatchBuilder;
import io.lorafleet.actors.cluster.AdapterShardAllocation;
import io.lorafleet.actors.cluster.ClusterSupervisor;
import io.lorafleet.actors.cluster.Provisioner;
import io.lorafleet.actors.cluster.Provisioners;
import io.lorafleet.actors.http.HttpApi;
import io.lorafleet.actors.http.NodeHandles;
import io.lorafleet.actors.metrics.ServerMetrics;
import io.lorafleet.actors.placement.NodeCapacity;
import io.lorafleet.actors.routing.FleetView;
import io.lorafleet.actors.routing.GenerationRouter;
import io.lorafleet.actors.routing.GenerationService;
import io.lorafleet.actors.routing.LoadReporter;
import io.lorafleet.actors.tenants.Tenancy;
import io.lorafleet.actors.tenants.TenantSettings;
import io.lorafleet.runtime.engine.LoadedModel;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * Wires a node together and nothing else: enters the cluster ({@link ClusterJoin}), starts the node's
 * {@link AdapterStore}, the {@link BatchBuilder} of its engine, its fleet actors ({@link GenerationService}
 * on serving nodes, {@link FleetView}, {@link GenerationRouter}), sharding for adapter entities (on serving
 * nodes, placed by {@link AdapterShardAllocation}) and the {@link ClusterSupervisor} singleton (with the
 * provisioner {@link Provisioners} names), registers the adapters directory ({@link AdapterDirectory}),
 * binds the HTTP server, then starts announcing the node's capacity and load ({@link LoadReporter}). A drain
 * the generation service asks for, and every coordinated shutdown (SIGTERM), is run by {@link NodeDrain}.
 */
public final class NodeGuardian {
  /** Messages of the guardian. */
  public interface Command {}

  private record Registered(int count, Throwable failure) implements Command {}

  private record Bound(ServerBinding binding, Throwable failure) implements Command {}

  private record DrainRequested(String reason) implements Command {}

  /** Role of the nodes that serve (run an engine, host adapter shards, take relayed requests). */
  public static final String SERVING_ROLE = "gpu";

  /** Dispatcher for blocking cluster work (starting processes, Kubernetes API calls). */
  public static final String BLOCKING_DISPATCHER = "lorafleet.cluster-blocking-dispatcher";

  private NodeGuardian() {}

  /** What the guardian holds once its actors run. */
  private record Started(NodeSettings settings, FleetSettings fleet, LoadedModel model, NodeHandles handles,
      ActorRef<BatchBuilder.Command> batch, ActorRef<GenerationService.Command> service) {}

  /**
   * @param ready completed with the HTTP address once the node serves, or with the start failure
   */
  public static Behavior<Command> create(NodeSettings settings, LoadedModel model, ServerMetrics metrics,
      String adminToken, CompletableFuture<InetSocketAddress> ready) {
    return create(settings, TenantSettings.OFF, model, metrics, adminToken, ready);
  }

  /**
   * @param tenants API keys, tenants and quotas ({@code lorafleet.tenants}, read and checked before the start)
   * @param ready   completed with the HTTP address once the node serves, or with the start failure
   */
  public static Behavior<Command> create(NodeSettings settings, TenantSettings tenants, LoadedModel model,
      ServerMetrics metrics, String adminToken, CompletableFuture<InetSocketAddress> ready) {
    return Behaviors.setup(ctx -> {
      ClusterJoin.start(ctx.getSystem());
      Cluster cluster = Cluster.get(ctx.getSystem());
      FleetSettings fleet = FleetSettings.from(ctx.getSystem().settings().config());
      boolean serves = cluster.selfMember().hasRole(SERVING_ROLE);
      SourcePolicy sources = new SourcePolicy(settings.roots(), settings.allowedUrls());
      AdapterFetcher fetcher = new AdapterFetcher(sources, settings.diskCacheDir(), settings.downloadMaxBytes(),
          settings.downloadTimeout(), settings.downloadMinRate());
      String node = cluster.selfMember().address().toString();
      ActorRef<AdapterStore.Command> store = ctx.spawn(AdapterStore.create(new AdapterStore.Config(node,
          model.engine(), model.model().config(), settings.maxRank(), settings.cache(), sources, fetcher,
          settings.maxPending(), metrics)), "adapter-store");
      ActorRef<BatchBuilder.Command> batch = ctx.spawn(BatchBuilder.create(model.engine()), "batch-builder");
      metrics.bindEngine(model.engine());
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
        Supplier<Provisioner> provisioner = Provisioners.named(fleet.provisioner(), fleet.raw(), settings.host(), seed,
            blocking);
        supervisor = ClusterSingleton.get(ctx.getSystem()).init(SingletonActor.of(
                restarting(ClusterSupervisor.create(fleet.supervisor(), provisioner, metrics)), "cluster-supervisor")
            .withSettings(ClusterSingletonSettings.create(ctx.getSystem()).withRole(SERVING_ROLE)));
      }
      Tenancy tenancy = Tenancy.start(ctx, tenants, metrics);
      NodeHandles handles = new NodeHandles(ctx.getSystem(), model, store, metrics, sources, settings.maxBodyBytes(),
          settings.adapterWaitTimeout(), settings.generationTimeout(), settings.autoRegister(), adminToken,
          new NodeHandles.FleetHandles(view, router, service, supervisor), tenancy);
      ctx.pipeToSelf(AdapterDirectory.register(ctx.getSystem(), settings.adaptersDir(), sources,
              tenants.adapterOwners()),
          (n, err) -> new Registered(n == null ? 0 : n, err));
      return starting(ctx, new Started(settings, fleet, model, handles, batch, service), ready);
    });
  }

  /** The fleet's long-lived actors restart on an unexpected failure (their state is rebuilt from gossip). */
  private static <T> Behavior<T> restarting(Behavior<T> behavior) {
    return Behaviors.supervise(behavior).onFailure(SupervisorStrategy.restart());
  }

  private static Behavior<Command> starting(ActorContext<Command> ctx, Started s,
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
              .newServerAt(s.settings().host(), s.settings().port()).bindFlow(new HttpApi(s.handles()).connectionFlow());
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
          ActorRef<LoadReporter.Command> reporter = s.service() == null ? null : announce(ctx, s, addr);
          ActorRef<NodeDrain.Command> drain = ctx.spawn(NodeDrain.create(
              NodeDrain.Settings.from(ctx.getSystem().settings().config()), b.binding(), reporter, s.service(),
              s.model().engine()), "drain");
          ready.complete(addr);
          return serving(ctx, b.binding(), drain);
        })
        .onMessage(DrainRequested.class, d -> {
          ctx.getLog().warn("drain requested while the node is still starting: ignored ({})", d.reason());
          return Behaviors.same();
        })
        .build();
  }

  /** A serving node starts announcing its capacity and load; returns its reporter. */
  private static ActorRef<LoadReporter.Command> announce(ActorContext<Command> ctx, Started s, InetSocketAddress addr) {
    String node = Cluster.get(ctx.getSystem()).selfMember().address().toString();
    var engineConfig = s.model().engine().config();
    long memory = s.fleet().deviceMemoryBytes() > 0 ? s.fleet().deviceMemoryBytes() : engineConfig.kvCacheBytes();
    NodeCapacity capacity = new NodeCapacity(memory, s.settings().cache().deviceAdapters(), engineConfig.maxNumSeqs());
    ActorRef<LoadReporter.Command> reporter = ctx.spawn(restarting(LoadReporter.create(new LoadReporter.Config(node,
            "http://" + addr.getHostString() + ":" + addr.getPort(), capacity, s.fleet().announceInterval(),
            s.fleet().rateWindow()), s.model().engine(), s.handles().store(), s.batch(), s.service())),
        "load-reporter");
    ctx.getLog().info("announced capacity: {} bytes, {} adapter slots, batch {}", capacity.deviceMemoryBytes(),
        capacity.adapterSlots(), capacity.maxBatch());
    return reporter;
  }

  private static Behavior<Command> serving(ActorContext<Command> ctx, ServerBinding binding,
      ActorRef<NodeDrain.Command> drain) {
    return Behaviors.receive(Command.class)
        .onMessage(DrainRequested.class, d -> {
          drain.tell(new NodeDrain.Start(d.reason()));
          return Behaviors.same();
        })
        .onSignal(PostStop.class, sig -> {
          binding.unbind();
          return Behaviors.same();
        })
        .build();
  }
}
