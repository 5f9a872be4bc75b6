package io.lorafleet.cuda;

import io.lorafleet.runtime.model.LoraAdapter;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts adapters into device pages on a stream of their own: the adapter is written into page-locked
 * staging memory ({@link AdapterImage}), then copied page run by page run while the compute stream goes
 * on; the returned {@link DeviceAdapter} carries the event the compute stream waits for before its first
 * use. Staging buffers are reused once their last copy has completed.
 */
final class LoraUploader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LoraUploader.class);
  private static final int MAX_STAGING = 2;
  private static final long MIN_STAGING = 4L << 20;

  private final Gpu gpu;
  private final DevicePool pool;
  private final int numLayers;
  private final GpuStream stream;
  private final List<Staging> staging = new ArrayList<>();

  /** A pinned buffer and the event of the last upload that read it. */
  private static final class Staging {
    MemorySegment memory;
    GpuEvent lastUse;
  }

  LoraUploader(Gpu gpu, DevicePool pool, int numLayers) {
    this.gpu = gpu;
    this.pool = pool;
    this.numLayers = numLayers;
    this.stream = gpu.newStream();
  }

  GpuStream stream() {
    return stream;
  }

  AdapterLayout layout(LoraAdapter adapter) {
    return AdapterLayout.of(adapter, numLayers, pool.pageBytes(), LoraDtype.of(adapter));
  }

  /**
   * Starts the upload of {@code adapter} into {@code pages} (as many as {@code layout.pages()}, already
   * taken from the pool for it) and returns at once.
   */
  DeviceAdapter upload(LoraAdapter adapter, AdapterLayout layout, int[] pages) {
    long t0 = System.nanoTime();
    long bytes = layout.pages() * pool.pageBytes();
    Staging st = stagingFor(bytes);
    AdapterImage.write(layout, numLayers, st.memory, pages, pool::address);
    // Copy runs of consecutive device pages at once.
    for (int i = 0; i < pages.length; ) {
      int j = i + 1;
      while (j < pages.length && pages[j] == pages[j - 1] + 1) {
        j++;
      }
      gpu.copyToDevice(pool.address(pages[i]),
          st.memory.asSlice(i * pool.pageBytes(), (j - i) * pool.pageBytes()), stream);
      i = j;
    }
    st.lastUse = gpu.record(stream);
    GpuEvent done = gpu.record(stream);
    long root = pool.address(pages[layout.root().page()]) + layout.root().offset();
    log.debug("adapter {}: {} pages ({} KiB of {} weights) queued in {} us", adapter.id(), pages.length,
        layout.usedBytes() >> 10, layout.dtype(), (System.nanoTime() - t0) / 1000);
    return new DeviceAdapter(adapter, pages, root, layout, done);
  }

  /** Waits until the upload into {@code a}'s pages is over (before the pages are reused). */
  void finish(DeviceAdapter a) {
    GpuEvent e = a.takeUploadEvent();
    if (e != null) {
      gpu.synchronize(e);
      gpu.release(e);
    }
  }

  private Staging stagingFor(long bytes) {
    for (Staging s : staging) {
      if (s.memory.byteSize() >= bytes && (s.lastUse == null || gpu.isDone(s.lastUse))) {
        return reuse(s);
      }
    }
    if (staging.size() < MAX_STAGING) {
      Staging s = new Staging();
      s.memory = gpu.allocatePinned(Math.max(bytes, MIN_STAGING));
      staging.add(s);
      return s;
    }
    // All busy (or too small): wait for the oldest and grow it if needed.
    Staging s = staging.removeFirst();
    staging.add(s);
    reuse(s);
    if (s.memory.byteSize() < bytes) {
      gpu.freePinned(s.memory);
      s.memory = gpu.allocatePinned(bytes);
    }
    return s;
  }

  private Staging reuse(Staging s) {
    if (s.lastUse != null) {
      gpu.synchronize(s.lastUse);
      gpu.release(s.lastUse);
      s.lastUse = null;
    }
    return s;
  }

  @Override
  public void close() {
    gpu.synchronize(stream);
    for (Staging s : staging) {
      if (s.lastUse != null) {
        gpu.release(s.lastUse);
      }
      gpu.freePinned(s.memory);
    }
    staging.clear();
  }
}
