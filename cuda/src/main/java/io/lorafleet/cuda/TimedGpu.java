package io.lorafleet.cuda;

import java.lang.foreign.MemorySegment;

/**
 * A {@link Gpu} that hands every call to another and brackets the launches and copies queued on the
 * profiled stream with timed events ({@link KernelProfile}); what runs on other streams (adapter uploads)
 * is not timed.
 */
final class TimedGpu implements Gpu {
  private final Gpu gpu;
  private final KernelProfile profile;

  TimedGpu(Gpu gpu, KernelProfile profile) {
    this.gpu = gpu;
    this.profile = profile;
  }

  @Override
  public String deviceName() {
    return gpu.deviceName();
  }

  @Override
  public int computeCapability() {
    return gpu.computeCapability();
  }

  @Override
  public int multiprocessors() {
    return gpu.multiprocessors();
  }

  @Override
  public long totalMemory() {
    return gpu.totalMemory();
  }

  @Override
  public long freeMemory() {
    return gpu.freeMemory();
  }

  @Override
  public long allocate(long bytes) {
    return gpu.allocate(bytes);
  }

  @Override
  public void free(long address) {
    gpu.free(address);
  }

  @Override
  public MemorySegment allocatePinned(long bytes) {
    return gpu.allocatePinned(bytes);
  }

  @Override
  public void freePinned(MemorySegment pinned) {
    gpu.freePinned(pinned);
  }

  @Override
  public GpuStream computeStream() {
    return gpu.computeStream();
  }

  @Override
  public GpuStream newStream() {
    return gpu.newStream();
  }

  @Override
  public void copyToDevice(long dst, MemorySegment src, GpuStream stream) {
    timed(stream, "memcpy HtoD", () -> gpu.copyToDevice(dst, src, stream));
  }

  @Override
  public void copyToHost(MemorySegment dst, long src, GpuStream stream) {
    timed(stream, "memcpy DtoH", () -> gpu.copyToHost(dst, src, stream));
  }

  @Override
  public void zero(long dst, long bytes, GpuStream stream) {
    timed(stream, "memset", () -> gpu.zero(dst, bytes, stream));
  }

  @Override
  public void copyOnDevice(long dst, long src, long bytes, GpuStream stream) {
    timed(stream, "memcpy DtoD", () -> gpu.copyOnDevice(dst, src, bytes, stream));
  }

  @Override
  public GpuEvent record(GpuStream stream) {
    return gpu.record(stream);
  }

  @Override
  public GpuEvent recordTimed(GpuStream stream) {
    return gpu.recordTimed(stream);
  }

  @Override
  public float elapsedMillis(GpuEvent start, GpuEvent end) {
    return gpu.elapsedMillis(start, end);
  }

  @Override
  public void await(GpuStream stream, GpuEvent event) {
    gpu.await(stream, event);
  }

  @Override
  public boolean isDone(GpuEvent event) {
    return gpu.isDone(event);
  }

  @Override
  public void synchronize(GpuEvent event) {
    gpu.synchronize(event);
  }

  @Override
  public void release(GpuEvent event) {
    gpu.release(event);
  }

  @Override
  public void synchronize(GpuStream stream) {
    gpu.synchronize(stream);
  }

  @Override
  public void beginCapture(GpuStream stream) {
    gpu.beginCapture(stream);
  }

  @Override
  public GpuGraph endCapture(GpuStream stream) {
    return gpu.endCapture(stream);
  }

  /** A graph is one operation to the profile (the backend runs steps eagerly while profiling). */
  @Override
  public void launch(GpuGraph graph, GpuStream stream) {
    timed(stream, "graph", () -> gpu.launch(graph, stream));
  }

  @Override
  public void destroy(GpuGraph graph) {
    gpu.destroy(graph);
  }

  @Override
  public GpuKernel kernel(String name) {
    return gpu.kernel(name);
  }

  @Override
  public void launch(GpuKernel kernel, int gridX, int gridY, int gridZ, int blockThreads, int sharedBytes,
      GpuStream stream, KernelArgs args) {
    if (gridX == 0 || gridY == 0 || gridZ == 0) {
      return;
    }
    timed(stream, kernel.name(),
        () -> gpu.launch(kernel, gridX, gridY, gridZ, blockThreads, sharedBytes, stream, args));
  }

  private void timed(GpuStream stream, String name, Runnable op) {
    if (profile.times(stream)) {
      profile.time(name, op);
    } else {
      op.run();
    }
  }

  @Override
  public void makeCurrent() {
    gpu.makeCurrent();
  }

  /** The profile is switched off, not the device closed: the backend owns the device. */
  @Override
  public void close() {}
}
