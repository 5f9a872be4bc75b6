package io.lorafleet.actors.placement;

import java.util.List;

/**
 * The nodes that serve an adapter with more than one replica (an adapter without a placement is served by its
 * rendezvous home alone), as the {@link ReplicationPlanner} sees and decides it.
 *
 * @param replicas how many nodes should serve it
 * @param nodes    those nodes, its home first
 * @param reason   why (a replication decision, an admin move or replica count)
 * @param manual   set by an admin: kept until the next admin change (no automatic replica changes; a node of
 *                 it that stops accepting is replaced)
 */
public record ReplicaPlacement(int replicas, List<String> nodes, String reason, boolean manual) {
  public ReplicaPlacement {
    nodes = List.copyOf(nodes);
  }
}
