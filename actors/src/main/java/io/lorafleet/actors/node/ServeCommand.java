package io.lorafleet.actors.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lorafleet.runtime.cli.CliInputException;
import io.lorafleet.runtime.cli.EngineOptions;
import io.lorafleet.runtime.cli.LoraFleetCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lorafleet serve}: one serving node with the HTTP API — a one-member Pekko cluster, or a member of a
 * fleet with {@code --cluster-config FILE} (a profile of cluster-config/), {@code --remote-port N} and
 * {@code --seed-nodes host:port,...}. Flags override the cluster profile, which overrides the HOCON
 * configuration ({@code reference.conf}, then {@code application.conf} / {@code -Dconfig.file}).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Serve the model and its adapters over HTTP (LoRAX- and OpenAI-compatible APIs).")
final class ServeCommand implements Callable<Integer> {
  @Option(names = "--model", description = "HF model directory (default: the bundled demo model models/demo/lorafleet-demo and its adapters)")
  Path model;

  @Option(names = "--adapters", description = "directory whose sub-directories are registered as adapters")
  Path adapters;

  @Option(names = "--host", description = "HTTP interface (default: lorafleet.http.host, 127.0.0.1)")
  String host;

  @Option(names = "--port", description = "HTTP port, 0 for any free one (default: lorafleet.http.port, 8080)")
  Integer port;

  @Option(names = "--admin-token-file", description = "file holding the bearer token of the /admin API (default: admin API off)")
  Path adminTokenFile;

  @Option(names = "--api-keys-file", description = "turn inference API keys on, with the keys in this file "
      + "(lines: <tenant> <key-id> <key or sha256:hex>; default: lorafleet.tenants, keys off)")
  Path apiKeysFile;

  @Option(names = "--cluster-config", description = "HOCON cluster profile (cluster-config/local-3.conf, kubernetes.conf, ...)")
  Path clusterConfig;

  @Option(names = "--remote-port", description = "Artery (cluster) port of this node, 0 for any free one")
  Integer remotePort;

  @Option(names = "--seed-nodes", split = ",", description = "seed nodes as host:port,host:port (Artery ports)")
  List<String> seedNodes;

  @Option(names = "--roles", split = ",", description = "node roles: gpu (serves), ingress (routes only)")
  List<String> roles;

  @Mixin
  EngineOptions engineOptions;

  @Override
  public Integer call() {
    Config config = config();
    LoraFleetNode node;
    try {
      node = LoraFleetNode.start(config, engineOptions.engineConfig(), engineOptions.backendConfig());
    } catch (NodeStartException e) {
      throw new CliInputException(e.getMessage());
    }
    Runtime.getRuntime().addShutdownHook(new Thread(node::close, "lorafleet-shutdown"));
    exitWithParent();
    System.err.println("lorafleet: serving " + node.model().name() + " on " + node.url());
    node.awaitTermination();
    return 0;
  }

  /**
   * With {@code -Dlorafleet.exit-with-pid=PID} (set by test harnesses and passed on by the local-process
   * provisioner) the node exits when that process is gone, even if it was killed without running its
   * shutdown hooks: no node JVM outlives the test that started it.
   */
  private static void exitWithParent() {
    String pid = System.getProperty("lorafleet.exit-with-pid");
    if (pid == null || pid.isBlank()) {
      return;
    }
    ProcessHandle.of(Long.parseLong(pid.strip())).ifPresentOrElse(
        p -> p.onExit().thenRun(() -> {
          System.err.println("lorafleet: process " + pid + " is gone; exiting");
          System.exit(3);
        }),
        () -> System.exit(3));
  }

  /** Flags over the cluster profile over application.conf / reference.conf. */
  Config config() {
    Config profile = clusterConfig != null ? FleetSettings.profile(clusterConfig) : ConfigFactory.empty();
    return ConfigFactory.parseMap(overrides()).withFallback(profile).withFallback(ConfigFactory.load()).resolve();
  }

  /** The configuration paths the flags set. */
  Map<String, Object> overrides() {
    Map<String, Object> o = new LinkedHashMap<>();
    if (clusterConfig != null) {
      o.put("lorafleet.cluster.config-file", clusterConfig.toAbsolutePath().normalize().toString());
    }
    if (engineOptions != null && engineOptions.prefixCaching != null) {
      o.put("lorafleet.engine.prefix-caching", engineOptions.prefixCaching);
    }
    if (engineOptions != null && engineOptions.nativeGemm != null) {
      o.put("lorafleet.engine.cpu.native-gemm", engineOptions.backendConfig().nativeGemm().setting());
    }
    if (engineOptions != null && engineOptions.quantization().isPresent()) {
      o.put("lorafleet.engine.quantize", engineOptions.quantization().get().wireName());
    }
    if (remotePort != null) {
      if (remotePort < 0 || remotePort > 65535) {
        throw new CliInputException("--remote-port " + remotePort + ": not a port");
      }
      o.put("pekko.remote.artery.canonical.port", remotePort);
    }
    if (seedNodes != null) {
      List<String> seeds = new ArrayList<>();
      for (String hp : seedNodes) {
        if (!hp.strip().matches("[^:/@\\s]+:\\d{1,5}")) {
          throw new CliInputException("--seed-nodes: \"" + hp + "\" is not host:port");
        }
        seeds.add("pekko://" + LoraFleetNode.SYSTEM_NAME + "@" + hp.strip());
      }
      o.put("pekko.cluster.seed-nodes", seeds);
    }
    if (roles != null) {
      o.put("pekko.cluster.roles", List.copyOf(roles));
    }
    if (host != null) {
      o.put("lorafleet.http.host", host);
    }
    if (port != null) {
      o.put("lorafleet.http.port", port);
    }
    o.put("lorafleet.model.backend", engineOptions.backend);
    if (model != null) {
      requireDirectory("--model", model);
      o.put("lorafleet.model.dir", model.toAbsolutePath().normalize().toString());
    }
    Path adapterDir = adapters != null ? adapters : model == null ? LoraFleetCli.bundledAdapters() : null;
    if (adapterDir != null) {
      requireDirectory("--adapters", adapterDir);
      o.put("lorafleet.adapters.directory", adapterDir.toAbsolutePath().normalize().toString());
    }
    if (adminTokenFile != null) {
      o.put("lorafleet.admin.token-file", adminTokenFile.toAbsolutePath().normalize().toString());
    }
    if (apiKeysFile != null) {
      if (!Files.isRegularFile(apiKeysFile)) {
        throw new CliInputException("--api-keys-file " + apiKeysFile + ": file not found");
      }
      o.put("lorafleet.tenants.api-keys", true);
      o.put("lorafleet.tenants.keys-file", apiKeysFile.toAbsolutePath().normalize().toString());
    }
    if (engineOptions.maxResidentAdapters > 0) {
      o.put("lorafleet.adapters.cache.device-slots", engineOptions.maxResidentAdapters);
    }
    return o;
  }

  private static void requireDirectory(String option, Path p) {
    if (!Files.isDirectory(p)) {
      throw new CliInputException(option + " " + p + ": directory not found");
    }
  }
}
