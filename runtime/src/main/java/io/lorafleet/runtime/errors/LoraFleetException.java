package io.lorafleet.runtime.errors;

/** Base of the expected errors: a message meant for the user and a stable machine-readable type. */
public abstract class LoraFleetException extends RuntimeException {
  protected LoraFleetException(String message) {
    super(message);
  }

  protected LoraFleetException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Short snake_case name of the error kind, e.g. {@code invalid_request}. */
  public abstract String errorType();
}
