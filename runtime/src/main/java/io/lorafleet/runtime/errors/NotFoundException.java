package io.lorafleet.runtime.errors;

/** Something a request names (an adapter, a model) does not exist. */
public class NotFoundException extends LoraFleetException {
  public NotFoundException(String message) {
    super(message);
  }

  public NotFoundException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String errorType() {
    return "not_found";
  }
}
