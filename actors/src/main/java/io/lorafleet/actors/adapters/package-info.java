/**
 * Adapters across the cluster and on one node: {@link io.lorafleet.actors.adapters.AdapterEntity} (sharded,
 * one per adapter id: registration, usage, residency per node), {@link io.lorafleet.actors.adapters.AdapterStore}
 * (per node: the weights in memory, the downloaded files, the device slots, under a
 * {@link io.lorafleet.actors.adapters.CachePolicy}), the replicated
 * {@link io.lorafleet.actors.adapters.AdapterRegistry}, and the checks on where adapters may come from
 * ({@link io.lorafleet.actors.adapters.SourcePolicy}, {@link io.lorafleet.actors.adapters.AdapterFetcher}).
 */
package io.lorafleet.actors.adapters;
