package io.lorafleet.actors.node;

import com.typesafe.config.Config;
import io.lorafleet.actors.adapters.PrivateDirectories;
import io.lorafleet.actors.metrics.ServerMetrics;
import io.lorafleet.actors.serialization.WireProtocol;
import io.lorafleet.actors.tenants.TenantSettings;
import io.lorafleet.runtime.backend.BackendConfig;
import io.lorafleet.runtime.backend.NativeGemm;
import io.lorafleet.runtime.cli.CliInputException;
import io.lorafleet.runtime.cli.LoraFleetCli;
import io.lorafleet.runtime.engine.EngineConfig;
import io.lorafleet.runtime.engine.LoadedModel;
import io.lorafleet.runtime.errors.InvalidRequestException;
import io.lorafleet.runtime.model.Quantization;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running serving node: its loaded model, actor system and HTTP address. Closing stops all of it. */
public final class LoraFleetNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LoraFleetNode.class);
  /** Name of every node's actor system (nodes of one cluster share it). */
  public static final String SYSTEM_NAME = "lorafleet";

  private final LoadedModel model;
  private final ActorSystem<NodeGuardian.Command> system;
  private final InetSocketAddress address;

  private LoraFleetNode(LoadedModel model, ActorSystem<NodeGuardian.Command> system, InetSocketAddress address) {
    this.model = model;
    this.system = system;
    this.address = address;
  }

  /**
   * Opens the model, starts the actor system and waits until the HTTP server listens.
   *
   * @param config         full configuration (the {@code lorafleet} and {@code pekko} blocks)
   * @param engineConfig   engine sizing; its maxResidentAdapters is replaced by the cache's device-slots and its
   *                       prefixCaching by {@code lorafleet.engine.prefix-caching}, its priority settings by
   *                       {@code lorafleet.engine.priority}
   * @param backendConfig  backend settings; its quantize is replaced by {@code lorafleet.engine.quantize}, its
   *                       nativeGemm by {@code lorafleet.engine.cpu.native-gemm} where that is set
   */
  public static LoraFleetNode start(Config config, EngineConfig engineConfig, BackendConfig backendConfig) {
    NodeSettings settings = NodeSettings.from(config);
    ClusterTransport.check(config);
    String token = readToken(settings.adminTokenFile());
    TenantSettings tenants;
    try {
      tenants = TenantSettings.from(config);
    } catch (IllegalArgumentException e) {
      throw new CliInputException(e.getMessage());
    }
    if (tenants.apiKeys() && WireProtocol.written(config) < WireProtocol.CURRENT) {
      // Owners and issued keys travel in fields and messages a node of the previous release does not know.
      throw new CliInputException("lorafleet.tenants.api-keys = on needs every node of the fleet on this release:"
          + " it cannot be combined with " + WireProtocol.VERSION_SETTING + " = " + WireProtocol.written(config)
          + " (finish the rolling upgrade first)");
    }
    try {
      PrivateDirectories.create(settings.diskCacheDir());
    } catch (java.io.IOException e) {
      throw new CliInputException("adapter disk cache " + settings.diskCacheDir() + ": " + e.getMessage());
    }
    Path modelDir = settings.modelDir() != null ? settings.modelDir() : LoraFleetCli.bundledModel();
    if (!Files.isDirectory(modelDir)) {
      throw new CliInputException("--model " + modelDir + ": directory not found");
    }
    String backend = settings.backend();
    EngineConfig sized = engineConfig.withMaxResidentAdapters(settings.cache().deviceAdapters())
        .withPrefixCaching(config.getBoolean("lorafleet.engine.prefix-caching"))
        .withPriority(priorityAging(config), config.getBoolean("lorafleet.engine.priority.preempt-lower-classes"));
    if (!config.getStringList("pekko.cluster.roles").contains(NodeGuardian.SERVING_ROLE)) {
      // An ingress-only node tokenizes, validates and routes; it never runs a step. Its engine stays on the
      // CPU with room for one sequence (the weights are memory-mapped and never read), so that it takes no
      // GPU and next to no memory.
      backend = "cpu";
      sized = sized.withMaxNumSeqs(1);
      log.info("ingress-only node (roles {}): engine on the CPU with a KV cache for one sequence, no GPU taken",
          config.getStringList("pekko.cluster.roles"));
    }
    if (config.hasPath("lorafleet.engine.cpu.native-gemm")) {
      try {
        backendConfig = backendConfig.withNativeGemm(
            NativeGemm.parse(config.getString("lorafleet.engine.cpu.native-gemm")));
      } catch (IllegalArgumentException e) {
        throw new CliInputException("lorafleet.engine.cpu.native-gemm: " + e.getMessage());
      }
    }
    Quantization quantize;
    try {
      quantize = Quantization.parse(config.getString("lorafleet.engine.quantize"));
    } catch (InvalidRequestException e) {
      throw new CliInputException("lorafleet.engine.quantize = " + config.getString("lorafleet.engine.quantize")
          + ": expected none or int8");
    }
    LoadedModel loaded = LoadedModel.open(modelDir, backend, backendConfig.withQuantize(quantize), sized);
    CompletableFuture<InetSocketAddress> ready = new CompletableFuture<>();
    ActorSystem<NodeGuardian.Command> system;
    try {
      system = ActorSystem.create(NodeGuardian.create(settings, tenants, loaded, new ServerMetrics(), token, ready),
          SYSTEM_NAME, config);
    } catch (RuntimeException e) {
      loaded.close();
      throw e;
    }
    try {
      return new LoraFleetNode(loaded, system, ready.get(120, TimeUnit.SECONDS));
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      system.terminate();
      loaded.close();
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      throw new NodeStartException("the node failed to start: " + cause.getMessage(), cause);
    }
  }

  private static long priorityAging(Config config) {
    Duration d = config.getDuration("lorafleet.engine.priority.aging-interval");
    if (d.isNegative()) {
      throw new CliInputException("lorafleet.engine.priority.aging-interval must not be negative, got " + d);
    }
    return d.toNanos();
  }

  private static String readToken(Path file) {
    if (file == null) {
      return null;
    }
    try {
      String token = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (token.isEmpty()) {
        throw new CliInputException("--admin-token-file " + file + ": the file is empty");
      }
      return token;
    } catch (IOException e) {
      throw new CliInputException("--admin-token-file " + file + ": cannot read: " + e.getMessage());
    }
  }

  public InetSocketAddress address() {
    return address;
  }

  public int port() {
    return address.getPort();
  }

  /** Base URL of the HTTP API, e.g. {@code http://127.0.0.1:8080}. */
  public String url() {
    return "http://" + address.getHostString() + ":" + address.getPort();
  }

  public ActorSystem<NodeGuardian.Command> system() {
    return system;
  }

  public LoadedModel model() {
    return model;
  }

  /** Blocks until the node stops. */
  public void awaitTermination() {
    system.getWhenTerminated().toCompletableFuture().join();
  }

  /**
   * Stops the node through its coordinated shutdown (the drain: stop admitting, let in-flight generations
   * end or cut them with an error event at {@code lorafleet.drain.timeout}, leave the cluster), then closes
   * the model. SIGTERM runs the same shutdown (Pekko's JVM shutdown hook, and this method from the serve
   * command's hook, which waits for it before the engine closes).
   */
  @Override
  public void close() {
    // The coordinated shutdown's own future: it completes when every phase has ended or timed out (the drain
    // included). Waiting for the actor system's termination instead could outlast it by a minute when Artery's
    // transport flush hangs after the last phase timed out (seen once: the node stayed up 60 s after SIGTERM).
    CompletableFuture<Done> shutdown = CoordinatedShutdown.get(system.classicSystem())
        .runAll(CoordinatedShutdown.actorSystemTerminateReason()).toCompletableFuture();
    try {
      Duration wait = system.settings().config().getDuration("lorafleet.drain.timeout").plusSeconds(60);
      shutdown.get(wait.toMillis(), TimeUnit.MILLISECONDS);
      system.getWhenTerminated().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // closing anyway
    }
    model.close();
  }
}
