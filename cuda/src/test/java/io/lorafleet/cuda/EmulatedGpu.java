package io.lorafleet.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@link Gpu} on the CPU: the kernels compiled by g++ against the fiber emulator
 * (cuda/src/test/emulator), called through FFM. "Device" memory is host memory, streams run everything at
 * once, events are always done. Every launch checks the argument kinds against the kernel's own
 * signature and every pointer argument against the live allocations, so a wrong argument order or a
 * stale buffer fails the test instead of crashing the JVM.
 *
 * <p>Graphs as CUDA makes them: while a stream is captured, launches, zeroing and device copies on it are
 * recorded (not run) with their arguments; host copies, synchronization and events are refused there (the
 * driver refuses the synchronizing ones; the backend keeps host copies outside by design); a graph launch
 * runs the recorded operations in order with the recorded arguments, checking each pointer again, so a
 * graph that names a buffer freed or moved since its capture fails.
 */
final class EmulatedGpu implements Gpu {
  private static final Linker LINKER = Linker.nativeLinker();
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;

  private static SymbolLookup library;
  private static MethodHandle launch;
  private static MethodHandle signature;

  private final long totalMemory;
  private final Map<Long, Arena> arenas = new HashMap<>();
  private final TreeMap<Long, Long> live = new TreeMap<>();
  private final GpuStream compute = new GpuStream("emulated-compute", null);
  private long allocated;
  private long launches;
  private long graphLaunches;
  /** The stream being captured and what it recorded so far, or null. */
  private GpuStream capturing;
  private List<Runnable> captured;

  EmulatedGpu(long totalMemory) {
    this.totalMemory = totalMemory;
    bind();
  }

  /** The emulator library built by the test build, or empty with the reason it is not there. */
  static Optional<Path> libraryPath() {
    String p = System.getProperty("lorafleet.emulator.library");
    if (p == null) {
      return Optional.empty();
    }
    Path path = Path.of(p);
    return Files.isRegularFile(path) ? Optional.of(path) : Optional.empty();
  }

  @SuppressWarnings("restricted")
  private static synchronized void bind() {
    if (library != null) {
      return;
    }
    Path path = libraryPath().orElseThrow(() -> new IllegalStateException("CUDA emulator library not built"));
    library = SymbolLookup.libraryLookup(path, Arena.global());
    launch = LINKER.downcallHandle(library.find("lf_emu_launch").orElseThrow(), FunctionDescriptor.of(
        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    signature = LINKER.downcallHandle(library.find("lf_emu_signature").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
  }

  /** The emulator's signature of {@code kernel} (p, i, f, l per parameter), or empty if it has no such kernel. */
  @SuppressWarnings("restricted")
  static Optional<String> signatureOf(String kernel) {
    bind();
    try (Arena a = Arena.ofConfined()) {
      MemorySegment s = (MemorySegment) signature.invokeExact(a.allocateFrom(kernel));
      return s.address() == 0 ? Optional.empty() : Optional.of(s.reinterpret(64).getString(0));
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  long launches() {
    return launches;
  }

  long graphLaunches() {
    return graphLaunches;
  }

  private boolean recording(GpuStream stream) {
    return capturing != null && capturing == stream;
  }

  private void refuseWhileCapturing(String what) {
    if (capturing != null) {
      throw new GpuException(what + " while a stream is being captured (CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED)");
    }
  }

  long allocatedBytes() {
    return allocated;
  }

  @Override
  public String deviceName() {
    return "CPU emulator";
  }

  @Override
  public int computeCapability() {
    return 90;
  }

  @Override
  public int multiprocessors() {
    return 4;
  }

  @Override
  public long totalMemory() {
    return totalMemory;
  }

  @Override
  public long freeMemory() {
    return totalMemory - allocated;
  }

  @Override
  public long allocate(long bytes) {
    Arena arena = Arena.ofShared();
    MemorySegment s = arena.allocate(Math.max(bytes, 1), 256);
    arenas.put(s.address(), arena);
    live.put(s.address(), s.byteSize());
    allocated += s.byteSize();
    return s.address();
  }

  @Override
  public void free(long address) {
    Arena a = arenas.remove(address);
    if (a == null) {
      throw new IllegalStateException("free of " + Long.toHexString(address) + ", which is not allocated");
    }
    allocated -= live.remove(address);
    a.close();
  }

  @Override
  public MemorySegment allocatePinned(long bytes) {
    long a = allocate(bytes);
    allocated -= live.get(a);
    return segment(a, bytes);
  }

  @Override
  public void freePinned(MemorySegment pinned) {
    allocated += live.getOrDefault(pinned.address(), 0L);
    free(pinned.address());
  }

  @SuppressWarnings("restricted")
  private static MemorySegment segment(long address, long bytes) {
    return MemorySegment.ofAddress(address).reinterpret(bytes);
  }

  private void requireLive(long address, long bytes, String what) {
    var e = live.floorEntry(address);
    if (e == null || address + bytes > e.getKey() + e.getValue()) {
      throw new IllegalStateException(what + ": [" + Long.toHexString(address) + ", +" + bytes
          + ") is outside every allocation");
    }
  }

  @Override
  public GpuStream computeStream() {
    return compute;
  }

  @Override
  public GpuStream newStream() {
    return new GpuStream("emulated", null);
  }

  @Override
  public void copyToDevice(long dst, MemorySegment src, GpuStream stream) {
    refuseWhileCapturing("a host-to-device copy");
    requireLive(dst, src.byteSize(), "copyToDevice");
    MemorySegment.copy(src, 0, segment(dst, src.byteSize()), 0, src.byteSize());
  }

  @Override
  public void copyToHost(MemorySegment dst, long src, GpuStream stream) {
    refuseWhileCapturing("a device-to-host copy");
    requireLive(src, dst.byteSize(), "copyToHost");
    MemorySegment.copy(segment(src, dst.byteSize()), 0, dst, 0, dst.byteSize());
  }

  @Override
  public void zero(long dst, long bytes, GpuStream stream) {
    Runnable op = () -> {
      requireLive(dst, bytes, "zero");
      segment(dst, bytes).fill((byte) 0);
    };
    if (recording(stream)) {
      captured.add(op);
    } else {
      op.run();
    }
  }

  @Override
  public void copyOnDevice(long dst, long src, long bytes, GpuStream stream) {
    Runnable op = () -> {
      requireLive(dst, bytes, "copyOnDevice destination");
      requireLive(src, bytes, "copyOnDevice source");
      MemorySegment.copy(segment(src, bytes), 0, segment(dst, bytes), 0, bytes);
    };
    if (recording(stream)) {
      captured.add(op);
    } else {
      op.run();
    }
  }

  @Override
  public GpuEvent record(GpuStream stream) {
    refuseWhileCapturing("an event record");
    return new GpuEvent(null);
  }

  /** Everything runs at once here, so an event's time is the host's time when it is recorded. */
  @Override
  public GpuEvent recordTimed(GpuStream stream) {
    refuseWhileCapturing("an event record");
    return new GpuEvent(System.nanoTime());
  }

  @Override
  public float elapsedMillis(GpuEvent start, GpuEvent end) {
    return ((Long) end.handle() - (Long) start.handle()) / 1e6f;
  }

  @Override
  public void await(GpuStream stream, GpuEvent event) {
    refuseWhileCapturing("a wait for an event recorded outside the capture");
  }

  @Override
  public boolean isDone(GpuEvent event) {
    return true;
  }

  @Override
  public void synchronize(GpuEvent event) {
    refuseWhileCapturing("an event synchronization");
  }

  @Override
  public void release(GpuEvent event) {}

  @Override
  public void synchronize(GpuStream stream) {
    refuseWhileCapturing("a stream synchronization");
  }

  @Override
  public void beginCapture(GpuStream stream) {
    refuseWhileCapturing("a second capture");
    capturing = stream;
    captured = new ArrayList<>();
  }

  @Override
  public GpuGraph endCapture(GpuStream stream) {
    if (capturing != stream) {
      throw new GpuException("endCapture on a stream that is not being captured");
    }
    List<Runnable> ops = List.copyOf(captured);
    capturing = null;
    captured = null;
    return new GpuGraph(ops, ops.size());
  }

  @Override
  @SuppressWarnings("unchecked")
  public void launch(GpuGraph graph, GpuStream stream) {
    refuseWhileCapturing("a graph launch");
    graphLaunches++;
    for (Runnable op : (List<Runnable>) graph.handle()) {
      op.run();
    }
  }

  @Override
  public void destroy(GpuGraph graph) {}

  @Override
  public GpuKernel kernel(String name) {
    if (signatureOf(name).isEmpty()) {
      throw new GpuException("kernel " + name + " is not in the emulator library");
    }
    return new GpuKernel(name, signatureOf(name).get());
  }

  @Override
  public void launch(GpuKernel kernel, int gridX, int gridY, int gridZ, int blockThreads, int sharedBytes,
      GpuStream stream, KernelArgs args) {
    String expected = (String) kernel.handle();
    if (!expected.equals(args.signature())) {
      throw new IllegalArgumentException("kernel " + kernel.name() + " takes (" + expected + "), launched with ("
          + args.signature() + ")");
    }
    if (recording(stream)) {
      captured.add(() -> run(kernel, gridX, gridY, gridZ, blockThreads, sharedBytes, args));
    } else {
      run(kernel, gridX, gridY, gridZ, blockThreads, sharedBytes, args);
    }
  }

  private void run(GpuKernel kernel, int gridX, int gridY, int gridZ, int blockThreads, int sharedBytes,
      KernelArgs args) {
    for (int i = 0; i < args.size(); i++) {
      if (args.kind(i) == KernelArgs.Kind.POINTER && args.value(i) != 0) {
        requireLive(args.value(i), 0, kernel.name() + " argument " + i);
      }
    }
    if (gridX == 0 || gridY == 0 || gridZ == 0) {
      return;
    }
    launches++;
    try (Arena a = Arena.ofConfined()) {
      int n = args.size();
      MemorySegment values = a.allocate(8L * Math.max(1, n), 8);
      MemorySegment pointers = a.allocate(8L * Math.max(1, n), 8);
      for (int i = 0; i < n; i++) {
        values.set(LONG, 8L * i, args.value(i));
        pointers.set(ValueLayout.ADDRESS, 8L * i, values.asSlice(8L * i, 8));
      }
      MemorySegment error = a.allocate(512);
      int rc = (int) launch.invokeExact(a.allocateFrom(kernel.name()), gridX, gridY, gridZ, blockThreads, 1, 1,
          sharedBytes, pointers, n, error, 512);
      if (rc != 0) {
        throw new GpuException(error.getString(0));
      }
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  @Override
  public void makeCurrent() {}

  @Override
  public void close() {
    for (Arena a : arenas.values()) {
      a.close();
    }
    arenas.clear();
    live.clear();
    allocated = 0;
  }
}
