package io.lorafleet.actors.routing;

import io.lorafleet.actors.placement.NodeCapacity;
import io.lorafleet.actors.placement.NodeLoad;
import io.lorafleet.actors.serialization.CrossNode;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a serving node announces about itself in Distributed Data: its capacity (from its start), its live
 * load, the adapters resident in its memory, its recent request rate per adapter, whether it accepts work
 * (not while draining), and where to send it requests.
 *
 * @param node          cluster address
 * @param httpUrl       its HTTP API
 * @param service       its {@link GenerationService}
 * @param rateAdapters  adapters with a recent request rate, parallel to {@code rates}
 * @param servedRequests requests it admitted since it started
 * @param sequence      increases with every announcement of the node
 * @param protocolVersion the cross-node protocol version the node writes (1 for a node of the release before
 *                      the field existed)
 */
public record NodeAnnouncement(String node, String httpUrl, ActorRef<GenerationService.Command> service,
    long deviceMemoryBytes, int adapterSlots, int maxBatch, int queueDepth, int running, String[] residentAdapters,
    String[] rateAdapters, double[] rates, boolean accepting, long servedRequests, long sequence,
    int protocolVersion)
    implements CrossNode {

  public NodeCapacity capacity() {
    return new NodeCapacity(deviceMemoryBytes, adapterSlots, maxBatch);
  }

  /** The load as the placement policies see it, with {@code extraQueue} requests sent since it was made. */
  public NodeLoad toLoad(int extraQueue) {
    Map<String, Double> r = new HashMap<>();
    for (int i = 0; i < rateAdapters.length; i++) {
      r.put(rateAdapters[i], rates[i]);
    }
    return new NodeLoad(node, capacity(), queueDepth + extraQueue, running, Set.of(residentAdapters), r, accepting,
        servedRequests);
  }
}
