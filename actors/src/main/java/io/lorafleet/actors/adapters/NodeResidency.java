package io.lorafleet.actors.adapters;

import io.lorafleet.actors.serialization.CrossNode;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What one node reports about one adapter.
 *
 * @param node        the node's cluster address
 * @param store       that node's {@link AdapterStore}
 * @param tier        where the adapter is on that node
 * @param inFlight    requests using it there now
 * @param bytes       weight bytes held in memory there (0 below the CPU tier)
 * @param hits        requests served there since it was first loaded there
 * @param lastUseMillis epoch millis of the last request there (0: never)
 * @param lastError   the last failed load there, or null
 */
public record NodeResidency(
    String node, ActorRef<AdapterStore.Command> store, Tier tier, int inFlight, long bytes, long hits,
    long lastUseMillis, String lastError) implements CrossNode {}
