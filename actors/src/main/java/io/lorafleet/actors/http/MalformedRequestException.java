package io.lorafleet.actors.http;

import io.lorafleet.runtime.errors.LoraFleetException;

/** The request body is not valid JSON (or not a JSON object). */
public final class MalformedRequestException extends LoraFleetException {
  public MalformedRequestException(String message) {
    super(message);
  }

  @Override
  public String errorType() {
    return "malformed_request";
  }
}
