package io.lorafleet.actors.adapters;

import io.lorafleet.runtime.errors.LoraFleetException;

/**
 * An adapter source cannot be used: refused by this node's policy (outside the adapter roots, not on the
 * URL allow-list), unreachable (the Hugging Face hub), or a download failed. The message says which and why.
 */
public final class AdapterSourceException extends LoraFleetException {
  private final String errorType;

  private AdapterSourceException(String errorType, String message) {
    super(message);
    this.errorType = errorType;
  }

  /** The source is not allowed on this node. */
  public static AdapterSourceException refused(String message) {
    return new AdapterSourceException("adapter_source_refused", message);
  }

  /** The source cannot be reached from this node. */
  public static AdapterSourceException unavailable(String message) {
    return new AdapterSourceException("adapter_source_unavailable", message);
  }

  @Override
  public String errorType() {
    return errorType;
  }
}
