package io.lorafleet.actors.adapters;

import io.lorafleet.runtime.errors.LoraFleetException;

/** An adapter id is already registered with a different source. */
public final class AdapterConflictException extends LoraFleetException {
  public AdapterConflictException(String message) {
    super(message);
  }

  @Override
  public String errorType() {
    return "conflict";
  }
}
