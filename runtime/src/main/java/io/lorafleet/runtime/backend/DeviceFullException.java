package io.lorafleet.runtime.backend;

import io.lorafleet.runtime.errors.OverloadedException;

/**
 * A backend has no room for one more adapter now ({@link Backend#uploadAdapter}); the engine's adapter
 * residency frees an idle adapter and tries again, and reports overload only when every adapter on the
 * device is in use.
 */
public final class DeviceFullException extends OverloadedException {
  public DeviceFullException(String message) {
    super(message);
  }
}
