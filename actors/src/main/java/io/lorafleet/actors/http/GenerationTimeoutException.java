package io.lorafleet.actors.http;

import io.lorafleet.runtime.errors.LoraFleetException;

/** A generation ran past the node's generation timeout and was cancelled (HTTP 504). */
final class GenerationTimeoutException extends LoraFleetException {
  GenerationTimeoutException(String message) {
    super(message);
  }

  @Override
  public String errorType() {
    return "timeout";
  }
}
