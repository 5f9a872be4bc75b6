package io.lorafleet.actors.node;

/** A node could not start (its HTTP port is taken, its adapters directory is unreadable, ...). */
public final class NodeStartException extends RuntimeException {
  public NodeStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
