package io.lorafleet.actors.routing;

import io.lorafleet.actors.adapters.AdapterConflictException;
import io.lorafleet.actors.adapters.AdapterSourceException;
import io.lorafleet.actors.serialization.CrossNode;
import io.lorafleet.runtime.errors.AdapterIncompatibleException;
import io.lorafleet.runtime.errors.InvalidRequestException;
import io.lorafleet.runtime.errors.LoraFleetException;
import io.lorafleet.runtime.errors.ModelFormatException;
import io.lorafleet.runtime.errors.NotFoundException;
import io.lorafleet.runtime.errors.OverloadedException;

/** An expected error as it crosses nodes: its type and message; rebuilt as the same kind of exception. */
public record WireError(String type, String message) implements CrossNode {

  public static WireError of(LoraFleetException e) {
    return new WireError(e.errorType(), e.getMessage());
  }

  public LoraFleetException toException() {
    return switch (type) {
      case "invalid_request" -> new InvalidRequestException(message);
      case "not_found" -> new NotFoundException(message);
      case "overloaded" -> new OverloadedException(message);
      case "adapter_incompatible" -> new AdapterIncompatibleException(message);
      case "model_format" -> new ModelFormatException(message);
      case "adapter_source_refused" -> AdapterSourceException.refused(message);
      case "adapter_source_unavailable" -> AdapterSourceException.unavailable(message);
      case "conflict" -> new AdapterConflictException(message);
      case NodeFailedException.TYPE -> new NodeFailedException(message);
      case RequestCancelledException.TYPE -> new RequestCancelledException(message);
      default -> new RemoteFailureException(type, message);
    };
  }

  /** An error of a kind this node does not know, raised on another node (HTTP 500). */
  public static final class RemoteFailureException extends LoraFleetException {
    private final String type;

    RemoteFailureException(String type, String message) {
      super(message);
      this.type = type;
    }

    @Override
    public String errorType() {
      return type;
    }
  }
}
