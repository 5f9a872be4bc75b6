package io.lorafleet.actors.tenants;

/**
 * Who sends a request, as its API key says.
 *
 * @param tenant the key's tenant, or null
 * @param keyId  the key's id, or null
 * @param open   API keys are off: the caller may use everything (today's single-user behaviour)
 */
public record Caller(String tenant, String keyId, boolean open) {
  /** API keys off: every adapter, no quotas. */
  public static final Caller OPEN = new Caller(null, null, true);
  /** API keys on, no key sent (only where a key is optional, {@code GET /info}): public adapters only. */
  public static final Caller ANONYMOUS = new Caller(null, null, false);

  /** Whether an adapter owned by {@code owner} (null: public) is visible to this caller. */
  public boolean sees(String owner) {
    return open || owner == null || owner.equals(tenant);
  }
}
