package io.lorafleet.actors.routing;

import io.lorafleet.runtime.errors.LoraFleetException;

/**
 * The requester gave up on a request before it was admitted (its client went away): the answer a pipeline
 * or a relay sends instead of running it. Nobody shows it to a client; it only completes the waiting side.
 */
public final class RequestCancelledException extends LoraFleetException {
  public static final String TYPE = "cancelled";

  public RequestCancelledException(String message) {
    super(message);
  }

  @Override
  public String errorType() {
    return TYPE;
  }
}
