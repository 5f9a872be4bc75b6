package io.lorafleet.runtime.engine;

import io.lorafleet.runtime.backend.Backend;
import io.lorafleet.runtime.model.LoraAdapter;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which adapters are loaded in the backend, in which slot, and how many running sequences use each.
 * Unused adapters stay loaded (a later request finds them warm) until the backend runs out of slots; then
 * the least recently used unused one is unloaded.
 */
final class AdapterSlots {
  private static final Logger log = LoggerFactory.getLogger(AdapterSlots.class);

  private final Backend backend;
  private final int capacity;
  /** Access order: least recently used first. */
  private final LinkedHashMap<LoraAdapter, Slot> slots = new LinkedHashMap<>(16, 0.75f, true);
  private final Map<LoraAdapter, Integer> refs = new IdentityHashMap<>();

  private record Slot(int index) {}

  /** {@code limit} caps the adapters kept loaded (0: the backend's slot count). */
  AdapterSlots(Backend backend, int limit) {
    this.backend = backend;
    this.capacity = limit > 0 ? Math.min(limit, backend.maxAdapterSlots()) : backend.maxAdapterSlots();
  }

  int capacity() {
    return capacity;
  }

  /** Slot of {@code adapter}, loading it (and unloading an idle one) if needed; -1 for the base model. */
  int slotFor(LoraAdapter adapter) {
    if (adapter == null) {
      return -1;
    }
    Slot s = slots.get(adapter);
    if (s != null) {
      return s.index();
    }
    if (slots.size() >= capacity) {
      evictOne();
    }
    long t0 = System.nanoTime();
    int index;
    while (true) {
      try {
        index = backend.loadAdapter(adapter);
        break;
      } catch (io.lorafleet.runtime.errors.OverloadedException full) {
        // A paged device can run out of room before it runs out of slots: make room and retry.
        if (!evictIdle()) {
          throw full;
        }
      }
    }
    slots.put(adapter, new Slot(index));
    log.debug("adapter {} loaded into {} slot {} in {} us", adapter.id(), backend.name(), index,
        (System.nanoTime() - t0) / 1000);
    return index;
  }

  void retain(LoraAdapter adapter) {
    if (adapter != null) {
      refs.merge(adapter, 1, Integer::sum);
    }
  }

  void release(LoraAdapter adapter) {
    if (adapter != null) {
      refs.computeIfPresent(adapter, (a, n) -> n == 1 ? null : n - 1);
    }
  }

  /** Unloads {@code adapter} from the backend if no running sequence uses it; returns whether it did. */
  boolean unload(LoraAdapter adapter) {
    if (refs.containsKey(adapter)) {
      return false;
    }
    Slot s = slots.remove(adapter);
    if (s != null) {
      backend.unloadAdapter(s.index());
    }
    return true;
  }

  boolean isLoaded(LoraAdapter adapter) {
    return slots.containsKey(adapter);
  }

  int numLoaded() {
    return slots.size();
  }

  /** Ids of the loaded adapters, least recently used first. */
  java.util.List<String> loadedIds() {
    return slots.keySet().stream().map(LoraAdapter::id).toList();
  }

  /** Loads {@code adapter} ahead of its first step if a slot is free or an idle one can be evicted. */
  boolean prefetch(LoraAdapter adapter) {
    if (slots.containsKey(adapter)) {
      return true;
    }
    if (slots.size() >= capacity && slots.keySet().stream().allMatch(refs::containsKey)) {
      return false;
    }
    slotFor(adapter);
    return true;
  }

  private void evictOne() {
    if (!evictIdle()) {
      throw new IllegalStateException("all " + slots.size() + " adapter slots are in use by running sequences");
    }
  }

  /** Unloads the least recently used adapter no running sequence uses; false when there is none. */
  private boolean evictIdle() {
    for (Iterator<Map.Entry<LoraAdapter, Slot>> it = slots.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      if (!refs.containsKey(e.getKey())) {
        it.remove();
        backend.unloadAdapter(e.getValue().index());
        return true;
      }
    }
    return false;
  }
}
