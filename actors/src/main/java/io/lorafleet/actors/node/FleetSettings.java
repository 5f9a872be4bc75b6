package io.lorafleet.actors.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.lorafleet.actors.cluster.ClusterSupervisor;
import io.lorafleet.actors.placement.AllocationPolicy;
import io.lorafleet.actors.placement.ReplicationPolicy;
import io.lorafleet.actors.placement.RoutingPolicy;
import io.lorafleet.actors.placement.ScalingPolicy;
import io.lorafleet.actors.serialization.WireProtocol;
import io.lorafleet.runtime.cli.CliInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The {@code lorafleet.cluster} block, typed: how a node announces itself, the routing and allocation
 * policies, and the supervisor's settings.
 *
 * @param configFile        the cluster configuration file this node started with ({@code --cluster-config}),
 *                          passed on to nodes a local provisioner starts; empty when none
 * @param announceInterval  how often a node announces its load
 * @param rateWindow        averaging window of the per-adapter request rates
 * @param deviceMemoryBytes announced device memory (0: the KV cache budget)
 * @param supervisorEnabled whether the cluster supervisor singleton runs
 * @param provisioner       {@code none}, {@code local-process} or {@code kubernetes}
 */
public record FleetSettings(String configFile, Duration announceInterval, Duration rateWindow, long deviceMemoryBytes,
    RoutingPolicy routing, AllocationPolicy allocation, boolean supervisorEnabled,
    ClusterSupervisor.Settings supervisor, String provisioner, Config raw) {

  /**
   * A cluster profile file ({@code --cluster-config}, a profile of cluster-config/), parsed, not yet resolved
   * or layered over the defaults; a missing or malformed file is an error naming it.
   */
  public static Config profile(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new CliInputException("--cluster-config " + file + ": file not found");
    }
    try {
      return ConfigFactory.parseFile(file.toFile());
    } catch (ConfigException e) {
      throw new CliInputException("--cluster-config " + file + ": " + e.getMessage());
    }
  }

  public static FleetSettings from(Config config) {
    WireProtocol.written(config); // a protocol version this release cannot write stops the node at start
    Config c = config.getConfig("lorafleet.cluster");
    Config s = c.getConfig("supervisor");
    Config r = s.getConfig("replication");
    Config sc = s.getConfig("scaling");
    AllocationPolicy allocation = new AllocationPolicy(c.getDouble("allocation.load-weight"),
        c.getDouble("allocation.rebalance-threshold"), c.getInt("allocation.max-moves-per-round"));
    ClusterSupervisor.Settings sup = new ClusterSupervisor.Settings(s.getDuration("tick"),
        new ReplicationPolicy(r.getDouble("rate-per-replica"), r.getDouble("drop-fraction"), r.getInt("min-replicas"),
            r.getInt("max-replicas"), r.getDuration("cool-down").toMillis()),
        allocation,
        new ScalingPolicy(sc.getDouble("out-pressure"), sc.getDouble("in-pressure"), sc.getDuration("sustain").toMillis(),
            sc.getDuration("cool-down").toMillis(), sc.getInt("min-nodes"), sc.getInt("max-nodes")),
        s.getDuration("pending-timeout"), s.getInt("kept-decisions"));
    return new FleetSettings(c.getString("config-file"), c.getDuration("announce-interval"),
        c.getDuration("rate-window"), c.getBytes("capacity.device-memory"),
        new RoutingPolicy(c.getDouble("routing.room-pressure"), c.getDouble("routing.loading-penalty")), allocation,
        s.getBoolean("enabled"), sup, s.getString("provisioner"), config);
  }
}
