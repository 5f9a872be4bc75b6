package io.lorafleet.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver calls a step makes every time, bound through the FFM API straight to {@code libcuda.so.1}
 * (the library JCuda itself loaded): {@code cuLaunchKernel}, {@code cuGraphLaunch}, the two async copies
 * and {@code cuStreamSynchronize}. JCuda marshals each {@code cuLaunchKernel} through JNI callbacks, global
 * references and critical arrays per argument, several microseconds per launch; here a launch writes its
 * arguments into one reused native buffer whose pointer array never changes, and makes one downcall. JCuda
 * keeps everything else (context, modules, streams, events, graph capture and instantiation).
 *
 * <p>Handles are the raw driver pointers (a CUfunction, CUstream, CUgraphExec). Not thread-safe: the
 * argument buffer belongs to the thread that drives the device.
 */
final class DriverLibrary {
  private static final Logger log = LoggerFactory.getLogger(DriverLibrary.class);
  private static final Linker LINKER = Linker.nativeLinker();
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
  private static final java.lang.foreign.AddressLayout ADDR = ValueLayout.ADDRESS;
  /** Most kernel parameters a launch passes (the kernels take at most 16). */
  static final int MAX_ARGS = 32;

  static final FunctionDescriptor LAUNCH_KERNEL = FunctionDescriptor.of(INT, ADDR, INT, INT, INT, INT, INT, INT, INT,
      ADDR, ADDR, ADDR);
  static final FunctionDescriptor GRAPH_LAUNCH = FunctionDescriptor.of(INT, ADDR, ADDR);
  static final FunctionDescriptor MEMCPY_HTOD = FunctionDescriptor.of(INT, LONG, ADDR, LONG, ADDR);
  static final FunctionDescriptor MEMCPY_DTOH = FunctionDescriptor.of(INT, ADDR, LONG, LONG, ADDR);
  static final FunctionDescriptor STREAM_SYNCHRONIZE = FunctionDescriptor.of(INT, ADDR);

  private final MethodHandle launchKernel;
  private final MethodHandle graphLaunch;
  private final MethodHandle memcpyHtoD;
  private final MethodHandle memcpyDtoH;
  private final MethodHandle streamSynchronize;
  private final MemorySegment values;
  private final MemorySegment pointers;

  private DriverLibrary(SymbolLookup lib) {
    launchKernel = bind(lib, "cuLaunchKernel", LAUNCH_KERNEL);
    graphLaunch = bind(lib, "cuGraphLaunch", GRAPH_LAUNCH);
    memcpyHtoD = bind(lib, "cuMemcpyHtoDAsync_v2", MEMCPY_HTOD);
    memcpyDtoH = bind(lib, "cuMemcpyDtoHAsync_v2", MEMCPY_DTOH);
    streamSynchronize = bind(lib, "cuStreamSynchronize", STREAM_SYNCHRONIZE);
    Arena arena = Arena.global();
    values = arena.allocate(8L * MAX_ARGS, 16);
    pointers = arena.allocate(8L * MAX_ARGS, 16);
    for (int i = 0; i < MAX_ARGS; i++) {
      pointers.setAtIndex(ADDR, i, values.asSlice(8L * i, 8));
    }
  }

  @SuppressWarnings("restricted")
  private static MethodHandle bind(SymbolLookup lib, String name, FunctionDescriptor fd) {
    MemorySegment fn = lib.find(name).orElseThrow(() -> new IllegalArgumentException("no symbol " + name));
    return LINKER.downcallHandle(fn, fd);
  }

  /** The driver library with every entry point bound, or empty (logged) when any is missing. */
  @SuppressWarnings("restricted")
  static Optional<DriverLibrary> load() {
    try {
      return Optional.of(new DriverLibrary(SymbolLookup.libraryLookup("libcuda.so.1", Arena.global())));
    } catch (IllegalArgumentException | UnsatisfiedLinkError e) {
      log.warn("driver calls go through JCuda (libcuda.so.1 not bound through FFM: {})", e.getMessage());
      return Optional.empty();
    }
  }

  /** {@code cuLaunchKernel} with the arguments' values (each 8 bytes, little-endian: ints and floats in the low half). */
  int launchKernel(long function, int gridX, int gridY, int gridZ, int blockThreads, int sharedBytes, long stream,
      KernelArgs args) {
    int n = args.size();
    if (n > MAX_ARGS) {
      throw new IllegalArgumentException(n + " kernel arguments; at most " + MAX_ARGS);
    }
    for (int i = 0; i < n; i++) {
      values.setAtIndex(LONG, i, args.value(i));
    }
    try {
      return (int) launchKernel.invokeExact(MemorySegment.ofAddress(function), gridX, gridY, gridZ, blockThreads, 1, 1,
          sharedBytes, MemorySegment.ofAddress(stream), pointers, MemorySegment.NULL);
    } catch (Throwable t) {
      throw new GpuException("cuLaunchKernel: " + t);
    }
  }

  int graphLaunch(long graphExec, long stream) {
    try {
      return (int) graphLaunch.invokeExact(MemorySegment.ofAddress(graphExec), MemorySegment.ofAddress(stream));
    } catch (Throwable t) {
      throw new GpuException("cuGraphLaunch: " + t);
    }
  }

  int copyToDevice(long dst, MemorySegment src, long stream) {
    try {
      return (int) memcpyHtoD.invokeExact(dst, src, src.byteSize(), MemorySegment.ofAddress(stream));
    } catch (Throwable t) {
      throw new GpuException("cuMemcpyHtoDAsync: " + t);
    }
  }

  int copyToHost(MemorySegment dst, long src, long stream) {
    try {
      return (int) memcpyDtoH.invokeExact(dst, src, dst.byteSize(), MemorySegment.ofAddress(stream));
    } catch (Throwable t) {
      throw new GpuException("cuMemcpyDtoHAsync: " + t);
    }
  }

  int synchronize(long stream) {
    try {
      return (int) streamSynchronize.invokeExact(MemorySegment.ofAddress(stream));
    } catch (Throwable t) {
      throw new GpuException("cuStreamSynchronize: " + t);
    }
  }
}
