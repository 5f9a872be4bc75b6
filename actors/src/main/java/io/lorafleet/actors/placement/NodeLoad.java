package io.lorafleet.actors.placement;

import java.util.Map;
import java.util.Set;

/**
 * A node's announced capacity and live load, as every node sees it (gossiped).
 *
 * @param node             the node's cluster address
 * @param capacity         what it can hold and serve
 * @param queueDepth       requests waiting for its engine (and for adapter loads)
 * @param running          sequences in its running batch
 * @param residentAdapters adapters loaded in memory there (device or CPU tier): cheap to serve
 * @param adapterRates     requests per second it serves per adapter (recent)
 * @param accepting        false while it drains: it takes no new requests
 * @param servedRequests   requests it admitted since it started
 */
public record NodeLoad(String node, NodeCapacity capacity, int queueDepth, int running, Set<String> residentAdapters,
    Map<String, Double> adapterRates, boolean accepting, long servedRequests) {
  public NodeLoad {
    residentAdapters = Set.copyOf(residentAdapters);
    adapterRates = Map.copyOf(adapterRates);
  }

  /** An idle node that announced its capacity only. */
  public static NodeLoad idle(String node, NodeCapacity capacity) {
    return new NodeLoad(node, capacity, 0, 0, Set.of(), Map.of(), true, 0);
  }

  /** Fraction of the batch in use, 0..1. */
  public double occupancy() {
    return Math.min(1.0, (double) running / capacity.maxBatch());
  }

  /** Work on the node relative to its batch size: 1 is a full batch and no queue. */
  public double pressure() {
    return (double) (queueDepth + running) / capacity.maxBatch();
  }

  public boolean resident(String adapter) {
    return residentAdapters.contains(adapter);
  }

  public NodeLoad withQueue(int queueDepth, int running) {
    return new NodeLoad(node, capacity, queueDepth, running, residentAdapters, adapterRates, accepting, servedRequests);
  }

  public NodeLoad withAccepting(boolean accepting) {
    return new NodeLoad(node, capacity, queueDepth, running, residentAdapters, adapterRates, accepting, servedRequests);
  }
}
