package io.lorafleet.runtime.engine;

import io.lorafleet.runtime.errors.LoraFleetException;

/**
 * Receives a request's progress. Called on the engine thread, in order: {@code onToken} per generated
 * token, then exactly one of {@code onFinish} or {@code onError}. Implementations must return quickly
 * (hand the data to another thread or actor).
 */
public interface GenerationListener {
  void onToken(String requestId, TokenOutput token);

  void onFinish(GenerationResult result);

  /** The request failed after it was accepted (for example its adapter could not be placed). */
  default void onError(String requestId, LoraFleetException error) {}
}
