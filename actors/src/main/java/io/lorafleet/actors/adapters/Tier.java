package io.lorafleet.actors.adapters;

import io.lorafleet.actors.serialization.CrossNode;

/**
 * Where an adapter lives on one node, in the order it climbs: {@code UNKNOWN} (not on this node),
 * {@code FETCHING} (being downloaded), {@code DISK} (files on local disk), {@code CPU} (validated weights in
 * memory), {@code DEVICE} (also on the engine's device), {@code EVICTING} (being removed, waiting for its
 * in-flight requests).
 */
public enum Tier implements CrossNode {
  UNKNOWN, FETCHING, DISK, CPU, DEVICE, EVICTING;

  /** Lower-case name for JSON and metric labels. */
  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
