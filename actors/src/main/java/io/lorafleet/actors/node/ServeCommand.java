package io.lorafleet.actors.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lorafleet.runtime.cli.CliInputException;
import io.lorafleet.runtime.cli.EngineOptions;
import io.lorafleet.runtime.cli.LoraFleetCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lorafleet serve}: one serving node (a one-member Pekko cluster) with the HTTP API. Flags override
 * the HOCON configuration ({@code reference.conf}, then {@code application.conf} / {@code -Dconfig.file}).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Serve the model and its adapters over HTTP (LoRAX- and OpenAI-compatible APIs).")
final class ServeCommand implements Callable<Integer> {
  @Option(names = "--model", description = "HF model directory (default: the bundled tiny model and its adapters)")
  Path model;

  @Option(names = "--adapters", description = "directory whose sub-directories are registered as adapters")
  Path adapters;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "HTTP interface (default: ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--port", defaultValue = "8080", description = "HTTP port, 0 for any free one (default: ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--admin-token-file", description = "file holding the bearer token of the /admin API (default: admin API off)")
  Path adminTokenFile;

  @Mixin
  EngineOptions engineOptions;

  @Override
  public Integer call() {
    Config config = ConfigFactory.parseMap(overrides()).withFallback(ConfigFactory.load());
    LoraFleetNode node;
    try {
      node = LoraFleetNode.start(config, engineOptions.engineConfig(), engineOptions.backendOptions());
    } catch (NodeStartException e) {
      throw new CliInputException(e.getMessage());
    }
    Runtime.getRuntime().addShutdownHook(new Thread(node::close, "lorafleet-shutdown"));
    System.err.println("lorafleet: serving " + node.engine().model().name() + " on " + node.url());
    node.awaitTermination();
    return 0;
  }

  /** The configuration paths the flags set (more flags for clustering go here). */
  Map<String, Object> overrides() {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("lorafleet.http.host", host);
    o.put("lorafleet.http.port", port);
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
