package io.lorafleet.cuda;

import io.lorafleet.runtime.model.LoraAdapter;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts adapters into device pages without holding up the engine thread: {@link #upload} takes a page-locked
 * staging buffer and hands the packing ({@link AdapterImage}: conversion to the device layout, several
 * milliseconds for a large adapter) to a packer thread, then returns; the copy to the device is queued on
 * the uploader's own stream by the engine thread (the only one that drives the device) once the packing is
 * done — at the next step ({@link #flush}), or at once when a step needs the adapter ({@link #ready}). The
 * {@link DeviceAdapter} carries the copy's event, which the compute stream waits for before the first use.
 * Staging buffers are reused once their copy has completed.
 */
final class LoraUploader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LoraUploader.class);
  private static final int MAX_STAGING = 4;
  private static final long MIN_STAGING = 4L << 20;

  private final Gpu gpu;
  private final DevicePool pool;
  private final int numLayers;
  private final GpuStream stream;
  private final ExecutorService packer;
  private final List<Staging> staging = new ArrayList<>();
  /** Uploads whose copy is not queued yet, oldest first. */
  private final List<DeviceAdapter> pending = new ArrayList<>();

  /** A pinned buffer: packing or copying an adapter ({@code user}), or free once {@code lastUse} is done. */
  private static final class Staging {
    MemorySegment memory;
    DeviceAdapter user;
    GpuEvent lastUse;
  }

  /** An upload between its packing and the queueing of its copy. */
  record Packing(CompletableFuture<Void> packed, Object staging) {}

  LoraUploader(Gpu gpu, DevicePool pool, int numLayers) {
    this.gpu = gpu;
    this.pool = pool;
    this.numLayers = numLayers;
    this.stream = gpu.newStream();
    this.packer = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("lorafleet-adapter-packer")
        .daemon(true).unstarted(r));
  }

  GpuStream stream() {
    return stream;
  }

  AdapterLayout layout(LoraAdapter adapter) {
    return AdapterLayout.of(adapter, numLayers, pool.pageBytes(), LoraDtype.of(adapter));
  }

  /**
   * Starts the upload of {@code adapter} into {@code pages} (as many as {@code layout.pages()}, already
   * taken from the pool for it) and returns at once; the packing runs on the packer thread.
   */
  DeviceAdapter upload(LoraAdapter adapter, AdapterLayout layout, int[] pages) {
    long bytes = layout.pages() * pool.pageBytes();
    Staging st = stagingFor(bytes);
    MemorySegment memory = st.memory;
    long root = pool.address(pages[layout.root().page()]) + layout.root().offset();
    CompletableFuture<Void> packed = CompletableFuture.runAsync(() -> {
      long t0 = System.nanoTime();
      AdapterImage.write(layout, numLayers, memory, pages, pool::address);
      log.debug("adapter {}: {} pages ({} KiB of {} weights) packed in {} us", adapter.id(), pages.length,
          layout.usedBytes() >> 10, layout.dtype(), (System.nanoTime() - t0) / 1000);
    }, packer);
    DeviceAdapter d = new DeviceAdapter(adapter, pages, root, layout, null);
    d.packing(new Packing(packed, st));
    st.user = d;
    pending.add(d);
    return d;
  }

  /** Queues the copies of the uploads whose packing is done (call at the start of each step). */
  void flush() {
    while (!pending.isEmpty() && pending.getFirst().packing().packed().isDone()) {
      queueCopy(pending.getFirst());
    }
  }

  /** Makes sure {@code a}'s copy is queued (waiting for its packing if needed); its event says when it is done. */
  void ready(DeviceAdapter a) {
    if (a.packing() != null) {
      queueCopy(a);
    }
  }

  private void queueCopy(DeviceAdapter a) {
    Packing p = a.packing();
    try {
      p.packed().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GpuException("interrupted while packing adapter " + a.adapter().id());
    } catch (ExecutionException e) {
      throw new GpuException("packing adapter " + a.adapter().id() + " failed: " + e.getCause());
    }
    Staging st = (Staging) p.staging();
    int[] pages = a.pages();
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
    st.user = null;
    a.packing(null);
    a.uploaded(gpu.record(stream));
    pending.remove(a);
  }

  /** Waits until the upload into {@code a}'s pages is over (before the pages are reused). */
  void finish(DeviceAdapter a) {
    ready(a);
    GpuEvent e = a.takeUploadEvent();
    if (e != null) {
      gpu.synchronize(e);
      gpu.release(e);
    }
  }

  /** Queues every pending copy and waits until all uploads have reached the device. */
  void awaitAll() {
    while (!pending.isEmpty()) {
      queueCopy(pending.getFirst());
    }
    gpu.synchronize(stream);
  }

  private Staging stagingFor(long bytes) {
    for (Staging s : staging) {
      if (s.user == null && s.memory.byteSize() >= bytes && (s.lastUse == null || gpu.isDone(s.lastUse))) {
        return reuse(s);
      }
    }
    if (staging.size() < MAX_STAGING) {
      Staging s = new Staging();
      s.memory = gpu.allocatePinned(Math.max(bytes, MIN_STAGING));
      staging.add(s);
      return s;
    }
    // All busy (or too small): finish the oldest one's upload, then grow it if needed.
    Staging s = staging.removeFirst();
    staging.add(s);
    if (s.user != null) {
      queueCopy(s.user);
    }
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

  /** Waits for the packer thread to finish what it started (it writes into staging memory freed next). */
  @Override
  public void close() {
    packer.shutdown();
    try {
      if (!packer.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS)) {
        log.warn("the adapter packer did not finish in 60 s; its staging memory is not freed");
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    pending.clear();
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
