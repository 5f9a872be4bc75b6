package io.lorafleet.runtime.errors;

/** The engine cannot take more work now; the caller should retry later. */
public class OverloadedException extends LoraFleetException {
  public OverloadedException(String message) {
    super(message);
  }

  public OverloadedException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String errorType() {
    return "overloaded";
  }
}
