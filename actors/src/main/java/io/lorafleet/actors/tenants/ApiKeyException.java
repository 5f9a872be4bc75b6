package io.lorafleet.actors.tenants;

import io.lorafleet.runtime.errors.LoraFleetException;

/**
 * An inference request without a valid API key (401): none sent, or one that is unknown or revoked (the two
 * are not told apart).
 */
public final class ApiKeyException extends LoraFleetException {
  private final boolean missing;

  public ApiKeyException(String message, boolean missing) {
    super(message);
    this.missing = missing;
  }

  /** No key was sent (else: a wrong or revoked one). */
  public boolean missing() {
    return missing;
  }

  @Override
  public String errorType() {
    return "invalid_api_key";
  }
}
