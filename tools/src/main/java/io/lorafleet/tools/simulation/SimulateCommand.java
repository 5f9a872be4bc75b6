package io.lorafleet.tools.simulation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.lorafleet.actors.node.FleetSettings;
import io.lorafleet.runtime.cli.CliInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lorafleet simulate}: the discrete-event simulation of a fleet (see the package documentation).
 * Prints the table; {@code --json} and {@code --png} write the report and the plot.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Simulate a fleet of GPU nodes serving many adapters: LoraFleet's placement policies (the real "
        + "classes) against plain consistent hashing, over the same request trace.")
public final class SimulateCommand implements Callable<Integer> {
  @Option(names = "--nodes", defaultValue = "1000", description = "GPU nodes (default: ${DEFAULT-VALUE})")
  int nodes;

  @Option(names = "--adapters", defaultValue = "100000", description = "adapters (default: ${DEFAULT-VALUE})")
  int adapters;

  @Option(names = "--zipf", defaultValue = "1.1", description = "Zipf exponent of adapter popularity (default: ${DEFAULT-VALUE})")
  double zipf;

  @Option(names = "--duration", defaultValue = "200", description = "seconds of arrivals (default: ${DEFAULT-VALUE})")
  double duration;

  @Option(names = "--warmup", defaultValue = "20", description = "seconds not measured at the start (default: ${DEFAULT-VALUE})")
  double warmup;

  @Option(names = "--rate", defaultValue = "14000", description = "base requests per second, bursts on top (default: ${DEFAULT-VALUE})")
  double rate;

  @Option(names = "--seed", defaultValue = "1", description = "random seed: same seed, same figures (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--json", paramLabel = "FILE", description = "write the report as JSON")
  Path json;

  @Option(names = "--png", paramLabel = "FILE", description = "write the plot as PNG")
  Path png;

  @Option(names = "--bursts-per-minute", description = "mean bursts starting per minute (default: 2)")
  Double burstsPerMinute;

  @Option(names = "--slots", description = "device adapter slots per node (default: 96)")
  Integer slots;

  @Option(names = "--max-batch", description = "running batch per node (default: 64)")
  Integer maxBatch;

  @Option(names = "--window", defaultValue = "10", description = "seconds per metrics window (default: ${DEFAULT-VALUE})")
  double window;

  @Option(names = "--cluster-config", paramLabel = "FILE",
      description = "LoraFleet's policy settings from this cluster profile, as `serve --cluster-config` reads it "
          + "(default: the shipped reference.conf)")
  Path clusterConfig;

  @Option(names = "--rate-per-replica", description = "replication: requests/s one replica takes")
  Double ratePerReplica;

  @Option(names = "--max-replicas", description = "replication: most replicas of one adapter")
  Integer maxReplicas;

  @Option(names = "--room-pressure", description = "routing: a node has room below this (queued + running) / batch")
  Double roomPressure;

  @Option(names = "--loading-penalty", description = "routing: spill cost of a node without the adapter")
  Double loadingPenalty;

  @Option(names = "--gossip-ms", description = "delay before an announcement reaches the routers")
  Double gossipMs;

  @Override
  public Integer call() throws IOException {
    SimulationConfig config;
    try {
      config = config();
    } catch (IllegalArgumentException e) {
      throw new CliInputException(e.getMessage());
    }
    SimulationReport report = Simulator.run(config);
    System.out.print(SimulationTable.render(report));
    if (json != null) {
      Path parent = json.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), report);
      System.out.println("JSON: " + json);
    }
    if (png != null) {
      SimulationChart.write(report, png);
      System.out.println("PNG: " + png);
    }
    return 0;
  }

  /** The configuration the flags describe (defaults: {@link SimulationConfig#defaults()}). */
  SimulationConfig config() {
    SimulationConfig d = SimulationConfig.defaults();
    TraceSpec w = d.workload().withAdapters(adapters).withZipf(zipf).withRate(rate).withDuration(duration, warmup);
    if (burstsPerMinute != null) {
      w = w.withBursts(burstsPerMinute);
    }
    GpuNodeModel node = d.node();
    if (slots != null) {
      node = node.withSlots(slots);
    }
    if (maxBatch != null) {
      node = node.withMaxBatch(maxBatch);
    }
    LoraFleetPlacement.Settings base = d.lorafleet();
    if (clusterConfig != null) {
      Config profile = FleetSettings.profile(clusterConfig);
      try {
        base = LoraFleetPlacement.Settings.from(profile.withFallback(ConfigFactory.load()).resolve(), base.gossipSeconds());
      } catch (ConfigException e) {
        throw new IllegalArgumentException("--cluster-config " + clusterConfig + ": " + e.getMessage());
      }
    }
    LoraFleetPlacement.Settings s = base.with(roomPressure, loadingPenalty, ratePerReplica, maxReplicas,
        gossipMs == null ? null : gossipMs / 1000);
    return new SimulationConfig(nodes, seed, window, w, node, s);
  }
}
