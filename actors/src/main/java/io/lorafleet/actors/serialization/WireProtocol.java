package io.lorafleet.actors.serialization;

import com.typesafe.config.Config;

/**
 * The versions of the cross-node protocol: the one this release writes by default, and the oldest it still
 * reads and can write. A node started with {@code lorafleet.cluster.protocol-version = PREVIOUS} writes the
 * previous release's messages (no field added since), so a fleet can be rolled to this release while nodes
 * of the previous one still run; see the README, "Rolling a fleet to a new release".
 */
public final class WireProtocol {
  /** The setting: which protocol version this node writes. */
  public static final String VERSION_SETTING = "lorafleet.cluster.protocol-version";
  /**
   * The version this release writes by default: 2 added {@code NodeAnnouncement.protocol_version} and {@code
   * Params.priority}.
   */
  public static final int CURRENT = 2;
  /** The previous release's version, which this release still writes on request and always reads. */
  public static final int PREVIOUS = 1;

  private WireProtocol() {}

  /**
   * The protocol version this node writes.
   *
   * @throws IllegalArgumentException naming the setting when it is not {@link #PREVIOUS} or {@link #CURRENT}
   */
  public static int written(Config config) {
    int v = config.hasPath(VERSION_SETTING) ? config.getInt(VERSION_SETTING) : CURRENT;
    if (v != PREVIOUS && v != CURRENT) {
      throw new IllegalArgumentException(VERSION_SETTING + " = " + v + ": this release writes protocol version "
          + PREVIOUS + " (the previous release's) or " + CURRENT);
    }
    return v;
  }
}
