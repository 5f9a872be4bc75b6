package io.lorafleet.actors.routing;

import io.lorafleet.actors.serialization.CrossNode;

/**
 * What a serving node's {@link GenerationService} sends back to the relay of the node that received the
 * request: first {@link Started} or {@link Refused}, then tokens, then {@link Finished} or {@link Failed}.
 * Every event names its request and attempt, so events of an abandoned attempt are recognized and dropped.
 */
public sealed interface RelayEvent extends CrossNode {
  String requestId();

  int attempt();

  record Started(String requestId, int attempt) implements RelayEvent {}

  record Refused(String requestId, int attempt, WireError error) implements RelayEvent {}

  record Token(String requestId, int attempt, WireToken token) implements RelayEvent {}

  record Finished(String requestId, int attempt, WireResult result) implements RelayEvent {}

  record Failed(String requestId, int attempt, WireError error) implements RelayEvent {}
}
