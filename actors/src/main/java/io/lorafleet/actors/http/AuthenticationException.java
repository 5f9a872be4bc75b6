package io.lorafleet.actors.http;

import io.lorafleet.runtime.errors.LoraFleetException;

/** An admin request without the right bearer token, or to a node whose admin API is disabled. */
public final class AuthenticationException extends LoraFleetException {
  private final boolean disabled;

  public AuthenticationException(String message, boolean disabled) {
    super(message);
    this.disabled = disabled;
  }

  /** Whether the admin API is off on this node (no token file configured). */
  public boolean disabled() {
    return disabled;
  }

  @Override
  public String errorType() {
    return disabled ? "admin_disabled" : "unauthorized";
  }
}
