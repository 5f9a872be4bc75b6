package io.lorafleet.actors.tenants;

import io.lorafleet.actors.serialization.CrossNode;

/**
 * An API key issued through the admin API, as replicated in Distributed Data ({@link KeyRegistry#ISSUED}):
 * never the key itself, only its digest.
 *
 * @param id            the key's public id (list, revoke)
 * @param tenant        the tenant it belongs to
 * @param sha256        lower-case hex of the SHA-256 digest of the key
 * @param createdMillis when it was issued (epoch milliseconds)
 */
public record IssuedKey(String id, String tenant, String sha256, long createdMillis) implements CrossNode {}
