package io.lorafleet.tools.simulation;

import java.util.Map;

/**
 * A way of running the fleet that the simulator compares: where each request goes and, for policies that
 * watch the fleet, what they do with the nodes' announcements and on their periodic tick.
 */
interface FleetPolicy {
  /** Name in the report. */
  String name();

  /**
   * The node (index) that serves {@code request} for {@code adapter}, received by node {@code ingress} at
   * {@code now}; -1 when no node takes it.
   */
  int route(int request, int adapter, int ingress, double now);

  /** Seconds between two load announcements of a node; 0: the policy does not watch loads. */
  default double announceSeconds() {
    return 0;
  }

  /** Seconds an announcement takes to reach the routers. */
  default double gossipSeconds() {
    return 0;
  }

  /** Averaging window of the announced per-adapter rates. */
  default double rateWindowSeconds() {
    return 2;
  }

  /** A node announced itself (visible to the routers from {@link #published}). */
  default void announced(NodeSample sample) {}

  /** The oldest pending announcement of {@code node} reaches the routers. */
  default void published(int node) {}

  /** Seconds between two {@link #tick}s; 0: no tick. */
  default double tickSeconds() {
    return 0;
  }

  /** The periodic decision (the cluster supervisor's). */
  default void tick(double now) {}

  /** Policy-specific figures for the report. */
  default Map<String, Object> extras() {
    return Map.of();
  }
}
