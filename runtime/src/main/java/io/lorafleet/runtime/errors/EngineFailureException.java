package io.lorafleet.runtime.errors;

/** The engine failed while running a request (a backend error, a bug); the request did not complete. */
public class EngineFailureException extends LoraFleetException {
  public EngineFailureException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String errorType() {
    return "internal_error";
  }
}
