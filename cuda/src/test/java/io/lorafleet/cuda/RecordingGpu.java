package io.lorafleet.cuda;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** A {@link Gpu} that runs nothing and records launches: for checking what {@link Kernels} passes. */
final class RecordingGpu implements Gpu {
  record Launch(String kernel, String signature, int gridX, int gridY, int gridZ, int block) {}

  final List<Launch> launches = new ArrayList<>();
  private final GpuStream stream = new GpuStream("recording", null);

  @Override
  public String deviceName() {
    return "recording";
  }

  @Override
  public int computeCapability() {
    return 90;
  }

  @Override
  public int multiprocessors() {
    return 1;
  }

  @Override
  public long totalMemory() {
    return 0;
  }

  @Override
  public long freeMemory() {
    return 0;
  }

  @Override
  public long allocate(long bytes) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void free(long address) {}

  @Override
  public MemorySegment allocatePinned(long bytes) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void freePinned(MemorySegment pinned) {}

  @Override
  public GpuStream computeStream() {
    return stream;
  }

  @Override
  public GpuStream newStream() {
    return stream;
  }

  @Override
  public void copyToDevice(long dst, MemorySegment src, GpuStream s) {}

  @Override
  public void copyToHost(MemorySegment dst, long src, GpuStream s) {}

  @Override
  public void zero(long dst, long bytes, GpuStream s) {}

  @Override
  public void copyOnDevice(long dst, long src, long bytes, GpuStream s) {}

  @Override
  public GpuEvent record(GpuStream s) {
    return new GpuEvent(null);
  }

  @Override
  public GpuEvent recordTimed(GpuStream s) {
    return new GpuEvent(null);
  }

  @Override
  public float elapsedMillis(GpuEvent start, GpuEvent end) {
    return 0;
  }

  @Override
  public void await(GpuStream s, GpuEvent event) {}

  @Override
  public boolean isDone(GpuEvent event) {
    return true;
  }

  @Override
  public void synchronize(GpuEvent event) {}

  @Override
  public void release(GpuEvent event) {}

  @Override
  public void synchronize(GpuStream s) {}

  @Override
  public GpuKernel kernel(String name) {
    return new GpuKernel(name, null);
  }

  @Override
  public void launch(GpuKernel kernel, int gridX, int gridY, int gridZ, int blockThreads, int sharedBytes, GpuStream s,
      KernelArgs args) {
    launches.add(new Launch(kernel.name(), args.signature(), gridX, gridY, gridZ, blockThreads));
  }

  @Override
  public void makeCurrent() {}

  @Override
  public void close() {}
}
