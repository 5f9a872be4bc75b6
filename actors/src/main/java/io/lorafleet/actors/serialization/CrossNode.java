package io.lorafleet.actors.serialization;

/**
 * Marks a message or replicated value that may travel between cluster nodes. Every such type is a record
 * (or enum) its package lists in its {@link CrossNodeTypes}; reference.conf binds this interface to the
 * {@link KryoMessageSerializer}. Local-only messages (those carrying adapter weights, streams or futures) must not
 * implement it.
 */
public interface CrossNode {}
