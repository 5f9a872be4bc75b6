/**
 * Tenants: inference API keys, the tenant each key belongs to, and per-tenant quotas.
 *
 * <p>{@link io.lorafleet.actors.tenants.TenantSettings} is the {@code lorafleet.tenants} block (API keys on or
 * off, the keys file, default and per-tenant quotas, default priority classes, owners of the adapters registered
 * at start). {@link io.lorafleet.actors.tenants.KeyRing} is a node's view of every key (configured ones and those
 * issued through the admin API) by SHA-256 digest; {@link io.lorafleet.actors.tenants.KeyRegistry} replicates
 * issued keys ({@link io.lorafleet.actors.tenants.IssuedKey}, digests only) and revocations (a grow-only set of
 * key ids) through Distributed Data and keeps the ring current. {@link io.lorafleet.actors.tenants.TenantQuotas}
 * admits requests against each tenant's token buckets (requests per second, generated tokens per minute),
 * concurrency and KV-block limits, each node enforcing its share (the limit over the live members).
 * {@link io.lorafleet.actors.tenants.Tenancy} is what the HTTP layer talks to.
 */
package io.lorafleet.actors.tenants;
