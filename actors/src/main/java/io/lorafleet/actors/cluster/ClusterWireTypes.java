package io.lorafleet.actors.cluster;

import io.lorafleet.actors.serialization.CrossNodeTypes;
import java.util.List;

/** The cluster package's cross-node types: the supervisor's commands and answers. */
public final class ClusterWireTypes implements CrossNodeTypes {
  @Override
  public List<Class<?>> types() {
    return List.of(
        ClusterSupervisor.SetReplicas.class,
        ClusterSupervisor.MoveAdapter.class,
        ClusterSupervisor.PlacementResult.class,
        ClusterSupervisor.Rebalance.class,
        ClusterSupervisor.RebalanceResult.class,
        ClusterSupervisor.GetStatus.class,
        ClusterSupervisor.Status.class,
        ClusterSupervisor.Decision.class,
        ClusterSupervisor.Decision[].class);
  }
}
