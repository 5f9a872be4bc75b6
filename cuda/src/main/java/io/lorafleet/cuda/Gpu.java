package io.lorafleet.cuda;

import java.lang.foreign.MemorySegment;

/**
 * The device operations the CUDA backend needs: memory, copies, two kinds of ordering (streams and
 * events) and kernel launches. {@link JCudaGpu} implements it with the JCuda driver API; the tests also
 * run the backend on a CPU emulation of the same kernels. Device memory is named by raw 64-bit
 * addresses, which is what kernels take as pointer arguments and what cuBLAS takes through FFM.
 *
 * <p>Not thread-safe: one thread drives a Gpu at a time, and calls {@link #makeCurrent()} first when it
 * is not the thread that created it.
 */
interface Gpu extends AutoCloseable {
  /** e.g. "NVIDIA H100 80GB HBM3". */
  String deviceName();

  /** major * 10 + minor, e.g. 90. */
  int computeCapability();

  int multiprocessors();

  long totalMemory();

  long freeMemory();

  /** Device memory of {@code bytes} (at least 256-byte aligned), not initialized. */
  long allocate(long bytes);

  void free(long address);

  /** Page-locked host memory, for copies that overlap kernels. */
  MemorySegment allocatePinned(long bytes);

  void freePinned(MemorySegment pinned);

  /** The stream kernels and step copies run on. */
  GpuStream computeStream();

  /** A further stream (adapter uploads). */
  GpuStream newStream();

  /**
   * Copies {@code src} (a native segment: pinned, or any off-heap memory) to device address {@code dst},
   * ordered on {@code stream}. With pinned {@code src} the call returns at once and {@code src} must stay
   * untouched until the stream has passed the copy.
   */
  void copyToDevice(long dst, MemorySegment src, GpuStream stream);

  /** Copies {@code dst.byteSize()} bytes from device address {@code src} into native {@code dst}, ordered on {@code stream}. */
  void copyToHost(MemorySegment dst, long src, GpuStream stream);

  /** Sets {@code bytes} bytes at {@code dst} to zero, ordered on {@code stream}. */
  void zero(long dst, long bytes, GpuStream stream);

  /** Copies {@code bytes} bytes from device address {@code src} to device address {@code dst}, ordered on {@code stream}. */
  void copyOnDevice(long dst, long src, long bytes, GpuStream stream);

  /** An event that completes when {@code stream} has done everything queued on it so far. */
  GpuEvent record(GpuStream stream);

  /**
   * Like {@link #record} but the event also keeps the time it completed at, for {@link #elapsedMillis}
   * (timing costs a little, so only measurements use it).
   */
  GpuEvent recordTimed(GpuStream stream);

  /** Device time from {@code start} to {@code end} in milliseconds; both timed events, both complete. */
  float elapsedMillis(GpuEvent start, GpuEvent end);

  /** Makes later work on {@code stream} wait for {@code event}, without blocking the host. */
  void await(GpuStream stream, GpuEvent event);

  boolean isDone(GpuEvent event);

  void synchronize(GpuEvent event);

  void release(GpuEvent event);

  /** Blocks until {@code stream} is idle. */
  void synchronize(GpuStream stream);

  /** The kernel named {@code name} (its {@code extern "C"} name). */
  GpuKernel kernel(String name);

  /** Queues {@code kernel} on a grid of blocks of {@code blockThreads} threads (a 1-D block). */
  void launch(GpuKernel kernel, int gridX, int gridY, int gridZ, int blockThreads, int sharedBytes, GpuStream stream,
      KernelArgs args);

  /** Binds this device's context to the calling thread. */
  void makeCurrent();

  @Override
  void close();
}
