package io.lorafleet.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link Gpu} with no device behind it: it runs nothing, hands out device addresses that are never
 * dereferenced, and counts the driver calls {@link JCudaGpu} would make for each operation (a kernel
 * launch is one {@code cuLaunchKernel}, an event record two, a graph capture's end three...). Host memory
 * is real (page-locked buffers are plain native memory), so everything the backend does on the host
 * runs as it would: this is how the host's share of a step is measured without a GPU ({@link
 * HostOverhead}) and how tests check what the backend queues. Pointer arguments of launches are checked
 * against the live allocations, as on the emulator. Graph capture records the launches; a graph launch
 * is one driver call.
 */
final class RecordingGpu implements Gpu {
  /** One recorded kernel launch (kept only while {@link #keepLaunches} is on). */
  record Launch(String kernel, String signature, int gridX, int gridY, int gridZ, int block) {}

  private static final long BASE = 0x7f00_0000_0000L;

  private final String name;
  private final long totalMemory;
  private final int multiprocessors;
  private final GpuStream compute = new GpuStream("recording-compute", "compute");
  private final TreeMap<Long, Long> live = new TreeMap<>();
  private final Map<Long, Arena> pinned = new HashMap<>();
  private final List<Launch> launches = new ArrayList<>();
  private boolean keepLaunches;
  private long next = BASE;
  private long allocated;
  private long driverCalls;
  private long kernelLaunches;
  private long graphLaunches;
  private int streams;
  private GpuStream capturing;
  private List<Launch> captured;
  private Thread currentOn;

  /** A device of {@code totalMemory} bytes with {@code multiprocessors} SMs (e.g. an H200: 141 GiB, 132). */
  RecordingGpu(String name, long totalMemory, int multiprocessors) {
    this.name = name;
    this.totalMemory = totalMemory;
    this.multiprocessors = multiprocessors;
  }

  /** A small device for tests of what is queued, keeping every launch. */
  RecordingGpu() {
    this("recording", 1L << 30, 1);
    keepLaunches = true;
  }

  /** Driver calls so far. */
  long driverCalls() {
    return driverCalls;
  }

  /** Kernel launches so far (outside and inside captures). */
  long kernelLaunches() {
    return kernelLaunches;
  }

  long graphLaunches() {
    return graphLaunches;
  }

  /** The launches recorded while {@link #keepLaunches} is on. */
  List<Launch> launches() {
    return launches;
  }

  void keepLaunches(boolean keep) {
    keepLaunches = keep;
  }

  @Override
  public String deviceName() {
    return name;
  }

  @Override
  public int computeCapability() {
    return 90;
  }

  @Override
  public int multiprocessors() {
    return multiprocessors;
  }

  @Override
  public long totalMemory() {
    return totalMemory;
  }

  @Override
  public long freeMemory() {
    driverCalls++;
    return totalMemory - allocated;
  }

  @Override
  public long allocate(long bytes) {
    driverCalls++;
    long size = (Math.max(bytes, 1) + 255) / 256 * 256;
    if (allocated + size > totalMemory) {
      throw new GpuException("cuMemAlloc(" + (bytes >> 20) + " MiB) failed: CUDA_ERROR_OUT_OF_MEMORY (recording "
          + "device of " + (totalMemory >> 20) + " MiB)");
    }
    long a = next;
    next += size;
    live.put(a, size);
    allocated += size;
    return a;
  }

  @Override
  public void free(long address) {
    driverCalls++;
    Long size = live.remove(address);
    if (size == null) {
      throw new IllegalStateException("free of " + Long.toHexString(address) + ", which is not allocated");
    }
    allocated -= size;
  }

  @Override
  public MemorySegment allocatePinned(long bytes) {
    driverCalls++;
    Arena arena = Arena.ofShared();
    MemorySegment m = arena.allocate(Math.max(bytes, 1), 256);
    pinned.put(m.address(), arena);
    return m;
  }

  @Override
  public void freePinned(MemorySegment m) {
    driverCalls++;
    Arena a = pinned.remove(m.address());
    if (a != null) {
      a.close();
    }
  }

  @Override
  public GpuStream computeStream() {
    return compute;
  }

  @Override
  public GpuStream newStream() {
    driverCalls++;
    return new GpuStream("recording-" + ++streams, "stream-" + streams);
  }

  private void requireLive(long address, long bytes, String what) {
    var e = live.floorEntry(address);
    if (e == null || address + bytes > e.getKey() + e.getValue()) {
      throw new IllegalStateException(what + ": [" + Long.toHexString(address) + ", +" + bytes
          + ") is outside every allocation");
    }
  }

  private void refuseWhileCapturing(String what) {
    if (capturing != null) {
      throw new GpuException(what + " while a stream is being captured");
    }
  }

  @Override
  public void copyToDevice(long dst, MemorySegment src, GpuStream s) {
    refuseWhileCapturing("a host-to-device copy");
    requireLive(dst, src.byteSize(), "copyToDevice");
    driverCalls++;
  }

  @Override
  public void copyToHost(MemorySegment dst, long src, GpuStream s) {
    refuseWhileCapturing("a device-to-host copy");
    requireLive(src, dst.byteSize(), "copyToHost");
    driverCalls++;
  }

  @Override
  public void zero(long dst, long bytes, GpuStream s) {
    requireLive(dst, bytes, "zero");
    driverCalls++;
  }

  @Override
  public void copyOnDevice(long dst, long src, long bytes, GpuStream s) {
    requireLive(dst, bytes, "copyOnDevice");
    requireLive(src, bytes, "copyOnDevice");
    driverCalls++;
  }

  @Override
  public GpuEvent record(GpuStream s) {
    refuseWhileCapturing("an event record");
    driverCalls += 2;
    return new GpuEvent(null);
  }

  @Override
  public GpuEvent recordTimed(GpuStream s) {
    refuseWhileCapturing("an event record");
    driverCalls += 2;
    return new GpuEvent(0L);
  }

  @Override
  public float elapsedMillis(GpuEvent start, GpuEvent end) {
    driverCalls++;
    return 0;
  }

  @Override
  public void await(GpuStream s, GpuEvent event) {
    refuseWhileCapturing("a wait for an event");
    driverCalls++;
  }

  @Override
  public boolean isDone(GpuEvent event) {
    driverCalls++;
    return true;
  }

  @Override
  public void synchronize(GpuEvent event) {
    refuseWhileCapturing("an event synchronization");
    driverCalls++;
  }

  @Override
  public void release(GpuEvent event) {
    driverCalls++;
  }

  @Override
  public void synchronize(GpuStream s) {
    refuseWhileCapturing("a stream synchronization");
    driverCalls++;
  }

  @Override
  public void beginCapture(GpuStream stream) {
    refuseWhileCapturing("a second capture");
    driverCalls++;
    capturing = stream;
    captured = new ArrayList<>();
  }

  @Override
  public GpuGraph endCapture(GpuStream stream) {
    if (capturing != stream) {
      throw new GpuException("endCapture on a stream that is not being captured");
    }
    driverCalls += 3;
    List<Launch> ops = List.copyOf(captured);
    capturing = null;
    captured = null;
    return new GpuGraph(ops, ops.size());
  }

  @Override
  public void launch(GpuGraph graph, GpuStream stream) {
    refuseWhileCapturing("a graph launch");
    driverCalls++;
    graphLaunches++;
  }

  @Override
  public void destroy(GpuGraph graph) {
    driverCalls += 2;
  }

  @Override
  public GpuKernel kernel(String kernelName) {
    return new GpuKernel(kernelName, null);
  }

  @Override
  public void launch(GpuKernel kernel, int gridX, int gridY, int gridZ, int blockThreads, int sharedBytes, GpuStream s,
      KernelArgs args) {
    if (gridX == 0 || gridY == 0 || gridZ == 0) {
      return;
    }
    for (int i = 0; i < args.size(); i++) {
      if (args.kind(i) == KernelArgs.Kind.POINTER && args.value(i) != 0 && args.value(i) >= BASE) {
        requireLive(args.value(i), 0, kernel.name() + " argument " + i);
      }
    }
    driverCalls++;
    kernelLaunches++;
    if (keepLaunches || capturing != null) {
      Launch l = new Launch(kernel.name(), args.signature(), gridX, gridY, gridZ, blockThreads);
      if (keepLaunches) {
        launches.add(l);
      }
      if (capturing == s) {
        captured.add(l);
      }
    }
  }

  @Override
  public void makeCurrent() {
    Thread t = Thread.currentThread();
    if (t != currentOn) {
      driverCalls++;
      currentOn = t;
    }
  }

  @Override
  public void close() {
    for (Arena a : pinned.values()) {
      a.close();
    }
    pinned.clear();
  }
}
