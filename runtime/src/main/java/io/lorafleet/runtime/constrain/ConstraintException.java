package io.lorafleet.runtime.constrain;

import io.lorafleet.runtime.errors.InvalidRequestException;

/**
 * A constraint the server cannot honour: an unsupported JSON Schema keyword or regex construct, a schema
 * or pattern over the size limits, or one whose automaton is too large or takes too long to build. The
 * message names the keyword or construct; HTTP answers 422.
 */
public final class ConstraintException extends InvalidRequestException {
  public ConstraintException(String message) {
    super(message);
  }
}
