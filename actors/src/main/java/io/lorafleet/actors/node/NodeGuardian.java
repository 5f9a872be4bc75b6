package io.lorafleet.actors.node;

import io.lorafleet.actors.adapters.AdapterEntity;
import io.lorafleet.actors.adapters.AdapterFetcher;
import io.lorafleet.actors.adapters.AdapterStore;
import io.lorafleet.actors.adapters.SourcePolicy;
import io.lorafleet.actors.batch.BatchBuilder;
import io.lorafleet.actors.http.HttpApi;
import io.lorafleet.actors.http.NodeHandles;
import io.lorafleet.actors.metrics.ServerMetrics;
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
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * Starts a node: joins the cluster (itself when no seed nodes are configured: a one-member cluster),
 * starts sharding for adapter entities, the node's {@link AdapterStore} and the {@link BatchBuilder} of its
 * engine, registers the adapters directory, then binds the HTTP server and reports its address.
 */
public final class NodeGuardian {
  /** Messages of the guardian. */
  public interface Command {}

  private record Registered(int count, Throwable failure) implements Command {}

  private record Bound(ServerBinding binding, Throwable failure) implements Command {}

  private NodeGuardian() {}

  /**
   * @param ready completed with the HTTP address once the node serves, or with the start failure
   */
  public static Behavior<Command> create(NodeSettings settings, LocalEngine engine, ServerMetrics metrics,
      String adminToken, CompletableFuture<InetSocketAddress> ready) {
    return Behaviors.setup(ctx -> {
      Cluster cluster = Cluster.get(ctx.getSystem());
      if (ctx.getSystem().settings().config().getStringList("pekko.cluster.seed-nodes").isEmpty()) {
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
      AdapterEntity.init(ctx.getSystem());
      SourcePolicy sources = new SourcePolicy(settings.roots(), settings.allowedUrls());
      AdapterFetcher fetcher = new AdapterFetcher(sources, settings.diskCacheDir(), settings.downloadMaxBytes(),
          settings.downloadTimeout());
      String node = cluster.selfMember().address().toString();
      ActorRef<AdapterStore.Command> store = ctx.spawn(AdapterStore.create(new AdapterStore.Settings(node,
          engine.engine(), engine.model().config(), settings.maxRank(), settings.cache(), sources, fetcher,
          settings.maxPending(), metrics)), "adapter-store");
      ActorRef<BatchBuilder.Command> batch = ctx.spawn(BatchBuilder.create(engine.engine(), store), "batch-builder");
      metrics.bindEngine(engine.engine());
      NodeHandles handles = new NodeHandles(ctx.getSystem(), engine, store, batch, metrics, sources,
          settings.maxBodyBytes(), settings.adapterWaitTimeout(), adminToken);
      ctx.pipeToSelf(registerDirectory(ctx, settings.adaptersDir(), sources), (n, err) -> new Registered(n == null ? 0 : n, err));
      return starting(ctx, settings, handles, ready);
    });
  }

  private static Behavior<Command> starting(ActorContext<Command> ctx, NodeSettings settings, NodeHandles handles,
      CompletableFuture<InetSocketAddress> ready) {
    return Behaviors.receive(Command.class)
        .onMessage(Registered.class, r -> {
          if (r.failure() != null) {
            ready.completeExceptionally(r.failure());
            return Behaviors.stopped();
          }
          if (settings.adaptersDir() != null) {
            ctx.getLog().info("registered {} adapters from {}", r.count(), settings.adaptersDir());
          }
          CompletionStage<ServerBinding> binding = Http.get(ctx.getSystem())
              .newServerAt(settings.host(), settings.port()).bind(new HttpApi(handles).route());
          ctx.pipeToSelf(binding, Bound::new);
          return Behaviors.same();
        })
        .onMessage(Bound.class, b -> {
          if (b.failure() != null) {
            ready.completeExceptionally(b.failure());
            return Behaviors.stopped();
          }
          InetSocketAddress addr = b.binding().localAddress();
          ctx.getLog().info("serving {} on http://{}:{}", handles.modelName(), addr.getHostString(), addr.getPort());
          ready.complete(addr);
          return serving(b.binding());
        })
        .build();
  }

  private static Behavior<Command> serving(ServerBinding binding) {
    return Behaviors.receive(Command.class)
        .onSignal(PostStop.class, s -> {
          binding.unbind();
          return Behaviors.same();
        })
        .build();
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
      CompletionStage<AdapterEntity.RegisterResult> f = sharding.entityRefFor(AdapterEntity.TYPE_KEY, id)
          .ask(replyTo -> new AdapterEntity.Register(spec, replyTo), Duration.ofSeconds(30));
      all.add(f.thenAccept(r -> {
        if (r.conflict() != null) {
          ctx.getLog().warn("adapter directory {} not registered: {}", sub, r.conflict());
        }
      }).toCompletableFuture());
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(x -> all.size());
  }
}
