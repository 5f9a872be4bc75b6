/**
 * Adapters across the cluster and on one node: {@link io.lorafleet.actors.adapters.AdapterEntity} (sharded,
 * one per adapter id: registration, usage, residency per node), {@link io.lorafleet.actors.adapters.AdapterStore}
 * (per node: the weights in memory and the downloaded files, under a
 * {@link io.lorafleet.actors.adapters.CachePolicy}; it follows the device tier through the engine's residency
 * events and passes every change on to the entity), the replicated
 * {@link io.lorafleet.actors.adapters.AdapterRegistry}, and the checks on where adapters may come from
 * ({@link io.lorafleet.actors.adapters.SourcePolicy}, {@link io.lorafleet.actors.adapters.AdapterFetcher}: a
 * deadline and a minimum rate per download), what an id may be ({@link io.lorafleet.actors.adapters.AdapterIds};
 * an adapter named by its source gets one id per normalized source) and the private (0700) directories of the
 * disk cache and node logs ({@link io.lorafleet.actors.adapters.PrivateDirectories}); the one-line descriptions
 * that the adapter listings show ({@link io.lorafleet.actors.adapters.AdapterDescriptions}, from a local
 * adapter's {@code lorafleet-adapter.json}).
 */
package io.lorafleet.actors.adapters;
