package io.lorafleet.runtime.engine;

import io.lorafleet.runtime.backend.Backend;
import io.lorafleet.runtime.backend.DeviceFullException;
import io.lorafleet.runtime.errors.OverloadedException;
import io.lorafleet.runtime.model.LoraAdapter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of which adapters are on the engine's device (the part vLLM's worker LoRA manager plays):
 * it uploads an adapter ahead of its first step when there is room ({@link #prefetch}) or when a step needs
 * it ({@link #acquire}), counts the running sequences that use each, and frees the least recently used
 * adapter that none uses when the device is full or the configured limit is reached; an adapter in use is
 * never freed. The backend only copies adapters in and frees them, by index. Every change is told to the
 * {@code events} consumer ({@link AdapterResidencyEvent}). Engine thread only.
 */
final class AdapterResidency {
  private static final Logger log = LoggerFactory.getLogger(AdapterResidency.class);

  private final Backend backend;
  private final int capacity;
  private final Consumer<AdapterResidencyEvent> events;
  /** Adapters on the device in access order: least recently used first. */
  private final LinkedHashMap<LoraAdapter, OnDevice> onDevice = new LinkedHashMap<>(16, 0.75f, true);

  /** One adapter on the device: its backend index and who uses it. */
  private static final class OnDevice {
    final int index;
    /** Running sequences using it; it is never freed while this is above 0. */
    int users;
    /** Callbacks waiting for it to be freed (it was asked to go while in use). */
    List<Runnable> onFreed;

    OnDevice(int index) {
      this.index = index;
    }
  }

  /** {@code limit} caps the adapters kept on the device (0: as many as the backend holds). */
  AdapterResidency(Backend backend, int limit, Consumer<AdapterResidencyEvent> events) {
    this.backend = backend;
    this.capacity = limit > 0 ? Math.min(limit, backend.adapterCapacity()) : backend.adapterCapacity();
    this.events = events;
  }

  /** Most adapters on the device at once. */
  int capacity() {
    return capacity;
  }

  /**
   * Uploads {@code adapter} ahead of the step that needs it if that takes no adapter in use off the device
   * (idle ones may go); true when it is on the device now. A failed upload is reported as an event and
   * answered false: the step that needs the adapter tries again.
   */
  boolean prefetch(LoraAdapter adapter) {
    if (onDevice.get(adapter) != null) {
      return true;
    }
    if (onDevice.size() >= capacity && !hasIdle()) {
      return false;
    }
    try {
      return upload(adapter) != null;
    } catch (RuntimeException e) {
      return false; // reported by upload
    }
  }

  /**
   * One more running sequence uses {@code adapter} (null: the base model, nothing to do): uploads it first
   * if needed, freeing idle adapters for room.
   *
   * @throws OverloadedException when every adapter on the device is in use and there is no room for it
   */
  void acquire(LoraAdapter adapter) {
    if (adapter == null) {
      return;
    }
    OnDevice d = onDevice.get(adapter);
    if (d == null) {
      d = upload(adapter);
      if (d == null) {
        String why = "all " + onDevice.size() + " adapters on " + backend.name()
            + " are in use by running sequences; no room for adapter " + adapter.id();
        events.accept(new AdapterResidencyEvent.Failed(adapter, why));
        throw new OverloadedException(why);
      }
    }
    d.users++;
  }

  /** One running sequence fewer uses {@code adapter}; frees it when it was asked to go and this was the last. */
  void release(LoraAdapter adapter) {
    if (adapter == null) {
      return;
    }
    OnDevice d = onDevice.get(adapter); // also marks it as just used
    if (d == null || d.users == 0) {
      throw new IllegalStateException("adapter " + adapter.id() + " released more often than acquired");
    }
    d.users--;
    if (d.users == 0 && d.onFreed != null) {
      free(adapter, d);
    }
  }

  /**
   * Takes {@code adapter} off the device as soon as no running sequence uses it (now when none does) and
   * runs {@code whenFreed} then; at once when it is not on the device.
   */
  void evict(LoraAdapter adapter, Runnable whenFreed) {
    OnDevice d = onDevice.get(adapter);
    if (d == null) {
      whenFreed.run();
      return;
    }
    if (d.onFreed == null) {
      d.onFreed = new ArrayList<>();
    }
    d.onFreed.add(whenFreed);
    if (d.users == 0) {
      free(adapter, d);
    }
  }

  /** The backend index of {@code adapter}, which must be on the device; -1 for the base model (null). */
  int indexOf(LoraAdapter adapter) {
    if (adapter == null) {
      return -1;
    }
    OnDevice d = onDevice.get(adapter);
    if (d == null) {
      throw new IllegalStateException("adapter " + adapter.id() + " is not on the device");
    }
    return d.index;
  }

  boolean isOnDevice(LoraAdapter adapter) {
    return onDevice.containsKey(adapter);
  }

  /** Adapters on the device now. */
  int size() {
    return onDevice.size();
  }

  /** Ids of the adapters on the device, least recently used first. */
  List<String> ids() {
    return onDevice.keySet().stream().map(LoraAdapter::id).toList();
  }

  // ------------------------------------------------------------------ uploads and evictions

  private boolean hasIdle() {
    for (OnDevice d : onDevice.values()) {
      if (d.users == 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * Uploads {@code adapter}, first freeing idle adapters to stay within the capacity, then as many more as
   * the backend needs room for; null when the adapters in use leave no room.
   */
  private OnDevice upload(LoraAdapter adapter) {
    if (onDevice.size() >= capacity && !freeLeastRecentlyUsedIdle()) {
      return null;
    }
    long t0 = System.nanoTime();
    int index;
    while (true) {
      try {
        index = backend.uploadAdapter(adapter);
        break;
      } catch (DeviceFullException full) {
        // A paged device can run out of room before the capacity is reached.
        if (!freeLeastRecentlyUsedIdle()) {
          return null;
        }
      } catch (RuntimeException e) {
        events.accept(new AdapterResidencyEvent.Failed(adapter, e.toString()));
        throw e;
      }
    }
    OnDevice d = new OnDevice(index);
    onDevice.put(adapter, d);
    log.debug("adapter {} uploaded to {} at index {} in {} us", adapter.id(), backend.name(), index,
        (System.nanoTime() - t0) / 1000);
    events.accept(new AdapterResidencyEvent.Loaded(adapter));
    return d;
  }

  /** Frees the least recently used adapter no running sequence uses; false when there is none. */
  private boolean freeLeastRecentlyUsedIdle() {
    for (Iterator<Map.Entry<LoraAdapter, OnDevice>> it = onDevice.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<LoraAdapter, OnDevice> e = it.next();
      if (e.getValue().users == 0) {
        it.remove();
        freeOnBackend(e.getKey(), e.getValue());
        return true;
      }
    }
    return false;
  }

  private void free(LoraAdapter adapter, OnDevice d) {
    onDevice.remove(adapter);
    freeOnBackend(adapter, d);
  }

  private void freeOnBackend(LoraAdapter adapter, OnDevice d) {
    backend.freeAdapter(d.index);
    log.debug("adapter {} freed from {}", adapter.id(), backend.name());
    events.accept(new AdapterResidencyEvent.Evicted(adapter));
    if (d.onFreed != null) {
      d.onFreed.forEach(Runnable::run);
    }
  }
}
