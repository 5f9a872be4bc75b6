package io.lorafleet.runtime.errors;

/** A model, tokenizer or adapter file is missing, malformed or unsupported; the message names the file. */
public class ModelFormatException extends LoraFleetException {
  public ModelFormatException(String message) {
    super(message);
  }

  public ModelFormatException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String errorType() {
    return "model_format";
  }
}
