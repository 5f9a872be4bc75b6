package io.lorafleet.actors.serialization;

/**
 * Marks a message or replicated value that may travel between cluster nodes. reference.conf binds this
 * interface to the Protobuf serializer of {@code io.lorafleet.actors.protocol}, which has a schema, a short
 * manifest and a mapper for every such type (a test fails for a type without one). Local-only messages
 * (those carrying adapter weights, streams or futures) must not implement it.
 */
public interface CrossNode {}
