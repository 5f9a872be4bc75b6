package io.lorafleet.actors.protocol;

/** A peer's message this node refuses to read: beyond a {@link WireLimits} limit, or inconsistent. */
public final class MalformedMessageException extends RuntimeException {
  public MalformedMessageException(String message) {
    super(message);
  }
}
