package io.lorafleet.actors.tenants;

import io.lorafleet.runtime.errors.LoraFleetException;

/** An admin request to issue a key under an id that is taken (409). */
public final class KeyIdTakenException extends LoraFleetException {
  public KeyIdTakenException(String id) {
    super("API key id " + id + " is taken (ids are never reused, also after a revocation)");
  }

  @Override
  public String errorType() {
    return "conflict";
  }
}
