package io.lorafleet.actors.adapters;

import io.lorafleet.actors.serialization.CrossNode;

/**
 * An adapter's registration as replicated in the {@link AdapterRegistry}.
 *
 * @param source where its files come from ({@link AdapterSource#spec()})
 * @param pinned whether nodes keep it loaded
 */
public record RegisteredAdapter(String source, boolean pinned) implements CrossNode {}
