package io.lorafleet.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.backend.BackendConfig;
import io.lorafleet.runtime.backend.DeviceFullException;
import io.lorafleet.runtime.backend.cpu.CpuBackend;
import io.lorafleet.runtime.errors.OverloadedException;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Device residency of adapters, owned by {@link AdapterResidency}: LRU eviction, the configured limit,
 * devices that run out of room early, adapters in use never leaving, deferred eviction, and the events.
 */
class AdapterResidencyTest {
  /** A CPU backend whose device memory holds only {@code room} adapters, refusing more as a paged GPU does. */
  static final class RoomLimitedBackend extends DelegatingCpuBackend {
    final int room;
    int uploaded;

    RoomLimitedBackend(LlamaModel m, int room) {
      super(m);
      this.room = room;
    }

    @Override
    public String name() {
      return "room-limited";
    }

    @Override
    public int uploadAdapter(LoraAdapter adapter) {
      if (uploaded == room) {
        throw new DeviceFullException("no device pages left for " + adapter.id());
      }
      uploaded++;
      return cpu.uploadAdapter(adapter);
    }

    @Override
    public void freeAdapter(int index) {
      uploaded--;
      cpu.freeAdapter(index);
    }

    @Override
    public int adapterCapacity() {
      return Integer.MAX_VALUE;
    }
  }

  private static List<LoraAdapter> adapters(LlamaModel m, int n) {
    return Fixtures.adapterNames().stream().limit(n).map(a -> LoraAdapter.load(a, Fixtures.adapter(a), m.config(), 0))
        .toList();
  }

  /** "loaded a", "evicted b", "failed c" for each event heard. */
  private static String describe(AdapterResidencyEvent e) {
    return switch (e) {
      case AdapterResidencyEvent.Loaded l -> "loaded " + l.adapter().id();
      case AdapterResidencyEvent.Evicted v -> "evicted " + v.adapter().id();
      case AdapterResidencyEvent.Failed f -> "failed " + f.adapter().id();
    };
  }

  @Test
  void evictsIdleAdaptersWhenTheDeviceIsFullAndKeepsUsedOnes() {
    try (LlamaModel m = LlamaModel.load(Fixtures.model()); RoomLimitedBackend b = new RoomLimitedBackend(m, 2)) {
      List<LoraAdapter> as = adapters(m, 4);
      List<String> events = new ArrayList<>();
      AdapterResidency r = new AdapterResidency(b, 0, e -> events.add(describe(e)));
      r.acquire(as.get(0));
      assertTrue(r.prefetch(as.get(1)));
      // Device full: adapter 1 is idle and goes; adapter 0 is in use and stays.
      r.acquire(as.get(2));
      assertTrue(r.isOnDevice(as.get(0)) && r.isOnDevice(as.get(2)) && !r.isOnDevice(as.get(1)), r.ids().toString());
      // Both adapters on the device are in use: nothing can make room, and a prefetch does not try.
      assertFalse(r.prefetch(as.get(3)));
      assertThrows(OverloadedException.class, () -> r.acquire(as.get(3)));
      r.release(as.get(0));
      r.acquire(as.get(3));
      assertTrue(r.isOnDevice(as.get(3)) && r.isOnDevice(as.get(2)) && !r.isOnDevice(as.get(0)));
      String a0 = as.get(0).id();
      String a1 = as.get(1).id();
      String a2 = as.get(2).id();
      String a3 = as.get(3).id();
      assertEquals(List.of("loaded " + a0, "loaded " + a1, "evicted " + a1, "loaded " + a2, "failed " + a3,
          "evicted " + a0, "loaded " + a3), events);
    }
  }

  @Test
  void configuredLimitCapsAdaptersOnTheDeviceLeastRecentlyUsedFirst() {
    try (LlamaModel m = LlamaModel.load(Fixtures.model()); CpuBackend b = new CpuBackend(m, 1)) {
      List<LoraAdapter> as = adapters(m, 3);
      AdapterResidency r = new AdapterResidency(b, 2, e -> { });
      assertEquals(2, r.capacity());
      r.acquire(as.get(0));
      r.acquire(as.get(1));
      r.release(as.get(1));
      r.release(as.get(0)); // 0 was used last: 1 is now the least recently used
      r.acquire(as.get(2));
      assertEquals(2, r.size());
      assertTrue(r.isOnDevice(as.get(0)) && r.isOnDevice(as.get(2)) && !r.isOnDevice(as.get(1)));
      assertEquals(-1, r.indexOf(null));
      assertThrows(IllegalStateException.class, () -> r.indexOf(as.get(1)), "looking an index up never loads");
    }
  }

  @Test
  void anAdapterAskedToGoWhileInUseLeavesWithItsLastUser() {
    try (LlamaModel m = LlamaModel.load(Fixtures.model()); CpuBackend b = new CpuBackend(m, 1)) {
      List<LoraAdapter> as = adapters(m, 2);
      List<String> events = new ArrayList<>();
      AdapterResidency r = new AdapterResidency(b, 0, e -> events.add(describe(e)));
      r.acquire(as.get(0));
      r.acquire(as.get(0));
      boolean[] freed = {false};
      r.evict(as.get(0), () -> freed[0] = true);
      r.release(as.get(0));
      assertFalse(freed[0], "one sequence still uses it");
      assertTrue(r.isOnDevice(as.get(0)));
      r.release(as.get(0));
      assertTrue(freed[0]);
      assertFalse(r.isOnDevice(as.get(0)));
      // Not on the device: gone at once.
      boolean[] never = {false};
      r.evict(as.get(1), () -> never[0] = true);
      assertTrue(never[0]);
      assertEquals(List.of("loaded " + as.get(0).id(), "evicted " + as.get(0).id()), events);
      assertThrows(IllegalStateException.class, () -> r.release(as.get(0)));
    }
  }

  @Test
  void theEnginePublishesResidencyAsRequestsComeAndAdaptersAreAskedToGo() {
    try (LoadedModel le = LoadedModel.open(Fixtures.model(), "cpu", new BackendConfig(1, 0),
        EngineConfig.DEFAULTS.withKvCacheBytes(8L << 20))) {
      LoraAdapter qv = le.loadAdapter("adapter-qv-r8", Fixtures.adapter("adapter-qv-r8"), 0);
      List<AdapterResidencyEvent> events = new ArrayList<>();
      Runnable stop = le.engine().subscribe(events::add);
      EngineBehaviourTest.Recorder rec = new EngineBehaviourTest.Recorder();
      le.engine().submit(new GenerateRequest("r", Fixtures.promptIds(0), qv, SamplingParams.greedy(4)), rec);
      le.engine().runUntilIdle();
      assertArrayEquals(java.util.Arrays.copyOf(Fixtures.ints(Fixtures.generation(0, "adapter-qv-r8")
          .get("token_ids")), 4), rec.result.tokenIds());
      assertEquals(1, events.size());
      assertSame(qv, assertInstanceOf(AdapterResidencyEvent.Loaded.class, events.getFirst()).adapter());
      assertEquals(1, le.engine().stats().adaptersLoaded(), "stays on the device for the next request");
      CompletableFuture<Void> gone = le.engine().evictAdapter(qv);
      le.engine().step();
      assertTrue(gone.isDone());
      assertSame(qv, assertInstanceOf(AdapterResidencyEvent.Evicted.class, events.get(1)).adapter());
      stop.run();
      CompletableFuture<Boolean> back = le.engine().prefetchAdapter(qv);
      le.engine().step();
      assertTrue(back.join());
      assertEquals(2, events.size(), "unsubscribed");
    }
  }
}
