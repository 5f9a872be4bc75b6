package io.lorafleet.tools.simulation;

import java.util.Map;
import java.util.Set;

/**
 * What a simulated node announces about itself, as a serving node's load reporter does: queue and batch,
 * the adapters in its memory (host or device), and its recent request rate per adapter.
 *
 * @param node           node index
 * @param queueDepth     requests waiting for the batch or for an adapter load
 * @param running        sequences in the batch
 * @param resident       ids of the adapters in host memory or on the device
 * @param rates          requests per second per adapter id, exponentially weighted
 * @param servedRequests requests the node admitted so far
 */
public record NodeSample(int node, int queueDepth, int running, Set<String> resident, Map<String, Double> rates,
    long servedRequests) {}
