package io.lorafleet.tools.simulation;

/**
 * One simulation: the fleet, the workload, the node model and LoraFleet's policy settings.
 *
 * @param nodes         GPU nodes in the fleet (all alike)
 * @param seed          everything random derives from it: same seed, same report
 * @param windowSeconds length of the metrics windows (the plot's points)
 * @param workload      the request stream
 * @param node          what one node can do
 * @param lorafleet     LoraFleet's policies and cluster timing
 */
public record SimulationConfig(int nodes, long seed, double windowSeconds, TraceSpec workload, GpuNodeModel node,
    LoraFleetPlacement.Settings lorafleet) {

  public SimulationConfig {
    if (nodes < 1 || nodes > (1 << 24) || !(windowSeconds > 0)) {
      throw new IllegalArgumentException("invalid simulation: " + nodes + " nodes, window " + windowSeconds + " s");
    }
  }

  /** 1000 nodes, the default workload and node model, LoraFleet's shipped settings ({@code reference.conf}), 10 s windows, seed 1. */
  public static SimulationConfig defaults() {
    return new SimulationConfig(1000, 1, 10, TraceSpec.defaults(), GpuNodeModel.defaults(),
        LoraFleetPlacement.Settings.shipped());
  }
}
