package io.lorafleet.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.backend.Backend;
import io.lorafleet.runtime.backend.ForwardBatch;
import io.lorafleet.runtime.backend.Logits;
import io.lorafleet.runtime.backend.cpu.CpuBackend;
import io.lorafleet.runtime.errors.OverloadedException;
import io.lorafleet.runtime.format.LlamaConfig;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Device residency of adapters: LRU eviction, slot limits, and devices that run out of room early. */
class AdapterSlotsTest {
  /** A CPU backend whose device memory holds only {@code room} adapters, refusing more as a paged GPU does. */
  static final class RoomLimitedBackend implements Backend {
    final CpuBackend cpu;
    final int room;
    int loaded;

    RoomLimitedBackend(LlamaModel m, int room) {
      this.cpu = new CpuBackend(m, 1);
      this.room = room;
    }

    @Override
    public String name() {
      return "room-limited";
    }

    @Override
    public LlamaConfig config() {
      return cpu.config();
    }

    @Override
    public long kvBytesPerBlock(int blockSize) {
      return cpu.kvBytesPerBlock(blockSize);
    }

    @Override
    public void allocateKvCache(int numBlocks, int blockSize) {
      cpu.allocateKvCache(numBlocks, blockSize);
    }

    @Override
    public int loadAdapter(LoraAdapter adapter) {
      if (loaded == room) {
        throw new OverloadedException("no device pages left for " + adapter.id());
      }
      loaded++;
      return cpu.loadAdapter(adapter);
    }

    @Override
    public void unloadAdapter(int slot) {
      loaded--;
      cpu.unloadAdapter(slot);
    }

    @Override
    public int maxAdapterSlots() {
      return Integer.MAX_VALUE;
    }

    @Override
    public Logits forward(ForwardBatch batch) {
      return cpu.forward(batch);
    }

    @Override
    public void close() {
      cpu.close();
    }
  }

  @Test
  void evictsIdleAdaptersWhenTheDeviceIsFullAndKeepsUsedOnes() {
    try (LlamaModel m = LlamaModel.load(Fixtures.model()); RoomLimitedBackend b = new RoomLimitedBackend(m, 2)) {
      List<LoraAdapter> as = Fixtures.adapterNames().stream().limit(4)
          .map(n -> LoraAdapter.load(n, Fixtures.adapter(n), m.config(), 0)).toList();
      AdapterSlots slots = new AdapterSlots(b, 0);
      slots.slotFor(as.get(0));
      slots.retain(as.get(0));
      slots.slotFor(as.get(1));
      // Device full: adapter 1 is idle and goes; adapter 0 is in use and stays.
      slots.slotFor(as.get(2));
      assertTrue(slots.isLoaded(as.get(0)) && slots.isLoaded(as.get(2)) && !slots.isLoaded(as.get(1)),
          slots.loadedIds().toString());
      slots.retain(as.get(2));
      // Both loaded adapters are in use: nothing can make room.
      assertThrows(OverloadedException.class, () -> slots.slotFor(as.get(3)));
      slots.release(as.get(0));
      slots.slotFor(as.get(3));
      assertTrue(slots.isLoaded(as.get(3)) && slots.isLoaded(as.get(2)) && !slots.isLoaded(as.get(0)));
    }
  }

  @Test
  void configuredLimitCapsResidentAdaptersLeastRecentlyUsedFirst() {
    try (LlamaModel m = LlamaModel.load(Fixtures.model()); CpuBackend b = new CpuBackend(m, 1)) {
      List<LoraAdapter> as = Fixtures.adapterNames().stream().limit(3)
          .map(n -> LoraAdapter.load(n, Fixtures.adapter(n), m.config(), 0)).toList();
      AdapterSlots slots = new AdapterSlots(b, 2);
      slots.slotFor(as.get(0));
      slots.slotFor(as.get(1));
      slots.slotFor(as.get(0)); // touch: 1 is now the least recently used
      slots.slotFor(as.get(2));
      assertEquals(2, slots.numLoaded());
      assertTrue(slots.isLoaded(as.get(0)) && slots.isLoaded(as.get(2)) && !slots.isLoaded(as.get(1)));
    }
  }
}
