package io.lorafleet.runtime.engine;

import io.lorafleet.runtime.model.LoraAdapter;

/**
 * A change in which adapters are on the engine's device, as its {@link AdapterResidency} makes it. Heard
 * through {@link Engine#subscribe}, on the engine thread, in the order the changes happen; the adapter is
 * the very instance the engine was given, so a subscriber that holds several generations of an adapter
 * (reloaded from disk) can tell them apart.
 */
public sealed interface AdapterResidencyEvent {
  LoraAdapter adapter();

  /** The adapter was uploaded to the device (the copy may still be finishing; the next step waits for it). */
  record Loaded(LoraAdapter adapter) implements AdapterResidencyEvent {}

  /** The adapter's device memory was freed (least recently used when room was needed, or asked to go). */
  record Evicted(LoraAdapter adapter) implements AdapterResidencyEvent {}

  /** Uploading the adapter failed; {@code message} says why. */
  record Failed(LoraAdapter adapter, String message) implements AdapterResidencyEvent {}
}
