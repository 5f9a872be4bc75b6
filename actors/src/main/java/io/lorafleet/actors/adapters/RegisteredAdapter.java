package io.lorafleet.actors.adapters;

import io.lorafleet.actors.serialization.CrossNode;

/**
 * An adapter's registration as replicated in the {@link AdapterRegistry}.
 *
 * @param source where its files come from ({@link AdapterSource#spec()})
 * @param pinned whether nodes keep it loaded
 * @param owner  the tenant that owns it, or null when it is public (with API keys on, only its owner sees and
 *               uses an owned adapter; with keys off every client sees every adapter)
 */
public record RegisteredAdapter(String source, boolean pinned, String owner) implements CrossNode {
  /** A public registration. */
  public RegisteredAdapter(String source, boolean pinned) {
    this(source, pinned, null);
  }

  /** Whether a caller of {@code tenant} (null: none) may see and use it. */
  public boolean visibleTo(String tenant) {
    return owner == null || owner.equals(tenant);
  }
}
