package io.lorafleet.actors.routing;

import io.lorafleet.actors.serialization.CrossNode;
import java.util.List;

/**
 * The nodes that serve an adapter, as the {@code ClusterSupervisor} decided (replicated in Distributed Data).
 *
 * @param replicas how many nodes should serve it
 * @param nodes    those nodes' addresses, its home first
 * @param reason   why (a replication decision, an admin move or replica count)
 * @param manual   set by an admin: kept until the next admin change (no automatic replica changes)
 */
public record AdapterPlacement(int replicas, String[] nodes, String reason, boolean manual) implements CrossNode {
  public List<String> nodeList() {
    return List.of(nodes);
  }
}
