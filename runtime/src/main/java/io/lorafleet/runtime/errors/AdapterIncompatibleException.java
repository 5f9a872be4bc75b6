package io.lorafleet.runtime.errors;

/** An adapter cannot be used with the loaded base model (shapes, layers, unsupported features, bad values). */
public class AdapterIncompatibleException extends LoraFleetException {
  public AdapterIncompatibleException(String message) {
    super(message);
  }

  public AdapterIncompatibleException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String errorType() {
    return "adapter_incompatible";
  }
}
