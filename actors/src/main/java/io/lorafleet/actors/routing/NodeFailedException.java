package io.lorafleet.actors.routing;

import io.lorafleet.runtime.errors.OverloadedException;

/**
 * The node serving a request failed (left the cluster or became unreachable) after the request's first
 * tokens were sent, or no node was left to retry on. Retryable: the same request may succeed now (HTTP 503;
 * in a stream, a final error event with {@code "retryable": true}).
 */
public final class NodeFailedException extends OverloadedException {
  public static final String TYPE = "node_failed";

  public NodeFailedException(String message) {
    super(message);
  }

  @Override
  public String errorType() {
    return TYPE;
  }
}
