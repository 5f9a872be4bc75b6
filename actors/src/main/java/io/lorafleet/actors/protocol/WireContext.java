package io.lorafleet.actors.protocol;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/**
 * What the mappers need besides the messages: actor refs to and from their serialization format, the protocol
 * version this node writes, and the limits of what it reads.
 */
final class WireContext {
  final int version;
  final WireLimits limits;
  private final ActorRefResolver resolver;

  WireContext(ActorRefResolver resolver, int version, WireLimits limits) {
    this.resolver = resolver;
    this.version = version;
    this.limits = limits;
  }

  /** An actor ref as it crosses nodes; {@code ""} for none. */
  String ref(ActorRef<?> ref) {
    return ref == null ? "" : resolver.toSerializationFormat(ref);
  }

  /** An actor ref from another node; null for {@code ""}. */
  <T> ActorRef<T> ref(String s, String field) {
    return s.isEmpty() ? null : resolver.resolveActorRef(limits.string(s, field));
  }

  /** Writes a Java string that may be null into a field without presence: null becomes {@code ""}. */
  static String text(String s) {
    return s == null ? "" : s;
  }
}
