package io.lorafleet.runtime.errors;

/** A request is malformed or its parameters are out of range. */
public class InvalidRequestException extends LoraFleetException {
  public InvalidRequestException(String message) {
    super(message);
  }

  public InvalidRequestException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String errorType() {
    return "invalid_request";
  }
}
