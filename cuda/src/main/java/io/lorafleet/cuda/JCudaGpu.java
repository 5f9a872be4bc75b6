package io.lorafleet.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventQuery;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD8Async;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;
import static jcuda.driver.JCudaDriver.cuStreamWaitEvent;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Gpu} on the JCuda driver API: the device's primary context (shared with cuBLAS, which uses the
 * runtime API), non-blocking streams, modules loaded with {@code cuModuleLoadData} from {@link
 * KernelImages}. Raw device addresses cross into JCuda through {@link DevicePointer}, a {@code
 * CUdeviceptr} whose base is null and whose byte offset is the address (JCuda passes base + offset).
 * Every result code is checked; failures throw {@link GpuException} naming the call.
 */
final class JCudaGpu implements Gpu {
  private static final Logger log = LoggerFactory.getLogger(JCudaGpu.class);
  private static final int CU_STREAM_NON_BLOCKING = 1;
  private static final int CU_EVENT_DEFAULT = 0;
  private static final int CU_EVENT_DISABLE_TIMING = 2;

  private final CUdevice device = new CUdevice();
  private final CUcontext context = new CUcontext();
  private final String name;
  private final int computeCapability;
  private final int multiprocessors;
  private final long totalMemory;
  private final List<CUmodule> modules = new ArrayList<>();
  private final Map<String, CUfunction> functions = new HashMap<>();
  private final List<StreamHandle> streams = new ArrayList<>();
  private final GpuStream compute;
  private boolean closed;

  /** A CUdeviceptr for a raw address, and the address of one the driver filled in. */
  static final class DevicePointer extends CUdeviceptr {
    private static final CUdeviceptr NULL = new CUdeviceptr();

    DevicePointer() {
      super();
    }

    DevicePointer(long address) {
      super(NULL, address);
    }

    long address() {
      return getNativePointer() + getByteOffset();
    }
  }

  /** A host Pointer for a raw address, and the address of one the driver filled in. */
  static final class HostPointer extends Pointer {
    HostPointer() {
      super();
    }

    HostPointer(long address) {
      super(address);
    }

    long address() {
      return getNativePointer() + getByteOffset();
    }
  }

  /** A CUstream that tells its raw handle (for cublasSetStream). */
  static final class StreamHandle extends CUstream {
    long handle() {
      return getNativePointer();
    }
  }

  private JCudaGpu(int ordinal, List<KernelImages.Image> images) {
    check(cuInit(0), "cuInit");
    check(cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
    byte[] nameBytes = new byte[256];
    check(cuDeviceGetName(nameBytes, nameBytes.length, device), "cuDeviceGetName");
    int len = 0;
    while (len < nameBytes.length && nameBytes[len] != 0) {
      len++;
    }
    name = new String(nameBytes, 0, len, StandardCharsets.UTF_8);
    computeCapability = 10 * attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
        + attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
    multiprocessors = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
    long[] total = new long[1];
    check(cuDeviceTotalMem(total, device), "cuDeviceTotalMem");
    totalMemory = total[0];
    check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
    makeCurrent();
    compute = newStream("compute");
    if (images != null) {
      loadModules(images);
    }
  }

  /** Opens device {@code ordinal} with the kernels built for it. */
  public static JCudaGpu open(int ordinal) {
    KernelImages.Manifest m = KernelImages.manifest()
        .orElseThrow(() -> new GpuException("kernels not built (nvcc missing at build time)"));
    JCudaGpu probe = new JCudaGpu(ordinal, null);
    try {
      List<KernelImages.Image> images = KernelImages.select(m, probe.computeCapability)
          .orElseThrow(() -> new GpuException(probe.name + " has compute capability " + probe.computeCapability / 10
              + "." + probe.computeCapability % 10 + "; the kernels need " + KernelImages.MIN_COMPUTE_CAPABILITY / 10
              + ".0 or newer"));
      probe.loadModules(images);
      return probe;
    } catch (RuntimeException e) {
      probe.close();
      throw e;
    }
  }

  private void loadModules(List<KernelImages.Image> images) {
    long t0 = System.nanoTime();
    boolean jit = false;
    for (KernelImages.Image image : images) {
      CUmodule module = new CUmodule();
      check(cuModuleLoadData(module, KernelImages.bytes(image)), "cuModuleLoadData(" + image.resource() + ")");
      modules.add(module);
      jit |= image.ptx();
      for (String kernel : Kernels.NAMES) {
        if (functions.containsKey(kernel)) {
          continue;
        }
        CUfunction f = new CUfunction();
        if (cuModuleGetFunction(f, module, kernel) == CUresult.CUDA_SUCCESS) {
          functions.put(kernel, f);
        }
      }
    }
    log.info("{} (sm_{}, {} SMs, {} MiB): {} kernel modules loaded{} in {} ms", name, computeCapability,
        multiprocessors, totalMemory >> 20, images.size(), jit ? " (PTX compiled by the driver)" : "",
        (System.nanoTime() - t0) / 1_000_000);
  }

  private int attribute(int attribute) {
    int[] v = new int[1];
    check(cuDeviceGetAttribute(v, attribute, device), "cuDeviceGetAttribute(" + attribute + ")");
    return v[0];
  }

  static void check(int result, String what) {
    if (result != CUresult.CUDA_SUCCESS) {
      throw new GpuException(what + " failed: " + CUresult.stringFor(result));
    }
  }

  @Override
  public String deviceName() {
    return name;
  }

  @Override
  public int computeCapability() {
    return computeCapability;
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
    long[] free = new long[1];
    long[] total = new long[1];
    check(cuMemGetInfo(free, total), "cuMemGetInfo");
    return free[0];
  }

  @Override
  public long allocate(long bytes) {
    DevicePointer p = new DevicePointer();
    int r = cuMemAlloc(p, Math.max(bytes, 1));
    if (r != CUresult.CUDA_SUCCESS) {
      throw new GpuException("cuMemAlloc(" + (bytes >> 20) + " MiB) failed: " + CUresult.stringFor(r) + " ("
          + (freeMemory() >> 20) + " MiB free of " + (totalMemory >> 20) + ")");
    }
    return p.address();
  }

  @Override
  public void free(long address) {
    check(cuMemFree(new DevicePointer(address)), "cuMemFree");
  }

  @SuppressWarnings("restricted")
  @Override
  public MemorySegment allocatePinned(long bytes) {
    HostPointer p = new HostPointer();
    check(cuMemAllocHost(p, bytes), "cuMemAllocHost(" + (bytes >> 20) + " MiB)");
    return MemorySegment.ofAddress(p.address()).reinterpret(bytes);
  }

  @Override
  public void freePinned(MemorySegment pinned) {
    check(cuMemFreeHost(new HostPointer(pinned.address())), "cuMemFreeHost");
  }

  @Override
  public GpuStream computeStream() {
    return compute;
  }

  @Override
  public GpuStream newStream() {
    return newStream("stream-" + streams.size());
  }

  private GpuStream newStream(String streamName) {
    StreamHandle s = new StreamHandle();
    check(cuStreamCreate(s, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
    streams.add(s);
    return new GpuStream(streamName, s);
  }

  /** The CUstream handle as a raw pointer value (for cuBLAS). */
  long rawStream(GpuStream s) {
    return ((StreamHandle) s.handle()).handle();
  }

  private static CUstream cu(GpuStream s) {
    return (CUstream) s.handle();
  }

  private static void requireNative(MemorySegment m) {
    if (!m.isNative()) {
      throw new IllegalArgumentException("device copies need native (off-heap) host memory");
    }
  }

  @Override
  public void copyToDevice(long dst, MemorySegment src, GpuStream stream) {
    requireNative(src);
    check(cuMemcpyHtoDAsync(new DevicePointer(dst), new HostPointer(src.address()), src.byteSize(), cu(stream)),
        "cuMemcpyHtoDAsync(" + src.byteSize() + " bytes)");
  }

  @Override
  public void copyToHost(MemorySegment dst, long src, GpuStream stream) {
    requireNative(dst);
    check(cuMemcpyDtoHAsync(new HostPointer(dst.address()), new DevicePointer(src), dst.byteSize(), cu(stream)),
        "cuMemcpyDtoHAsync(" + dst.byteSize() + " bytes)");
  }

  @Override
  public void zero(long dst, long bytes, GpuStream stream) {
    check(cuMemsetD8Async(new DevicePointer(dst), (byte) 0, bytes, cu(stream)), "cuMemsetD8Async");
  }

  @Override
  public void copyOnDevice(long dst, long src, long bytes, GpuStream stream) {
    check(cuMemcpyDtoDAsync(new DevicePointer(dst), new DevicePointer(src), bytes, cu(stream)),
        "cuMemcpyDtoDAsync(" + bytes + " bytes)");
  }

  @Override
  public GpuEvent record(GpuStream stream) {
    CUevent e = new CUevent();
    check(cuEventCreate(e, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
    check(cuEventRecord(e, cu(stream)), "cuEventRecord");
    return new GpuEvent(e);
  }

  @Override
  public GpuEvent recordTimed(GpuStream stream) {
    CUevent e = new CUevent();
    check(cuEventCreate(e, CU_EVENT_DEFAULT), "cuEventCreate");
    check(cuEventRecord(e, cu(stream)), "cuEventRecord");
    return new GpuEvent(e);
  }

  @Override
  public float elapsedMillis(GpuEvent start, GpuEvent end) {
    float[] ms = new float[1];
    check(cuEventElapsedTime(ms, (CUevent) start.handle(), (CUevent) end.handle()), "cuEventElapsedTime");
    return ms[0];
  }

  /** The driver's CUDA version as the driver reports it, e.g. 13000 for 13.0. */
  public static int driverVersion() {
    int[] v = new int[1];
    check(cuDriverGetVersion(v), "cuDriverGetVersion");
    return v[0];
  }

  @Override
  public void await(GpuStream stream, GpuEvent event) {
    check(cuStreamWaitEvent(cu(stream), (CUevent) event.handle(), 0), "cuStreamWaitEvent");
  }

  @Override
  public boolean isDone(GpuEvent event) {
    int r = cuEventQuery((CUevent) event.handle());
    if (r == CUresult.CUDA_ERROR_NOT_READY) {
      return false;
    }
    check(r, "cuEventQuery");
    return true;
  }

  @Override
  public void synchronize(GpuEvent event) {
    check(cuEventSynchronize((CUevent) event.handle()), "cuEventSynchronize");
  }

  @Override
  public void release(GpuEvent event) {
    check(cuEventDestroy((CUevent) event.handle()), "cuEventDestroy");
  }

  @Override
  public void synchronize(GpuStream stream) {
    check(cuStreamSynchronize(cu(stream)), "cuStreamSynchronize(" + stream.name() + ")");
  }

  @Override
  public GpuKernel kernel(String kernelName) {
    CUfunction f = functions.get(kernelName);
    if (f == null) {
      throw new GpuException("kernel " + kernelName + " is not in the loaded modules");
    }
    return new GpuKernel(kernelName, f);
  }

  @Override
  public void launch(GpuKernel kernel, int gridX, int gridY, int gridZ, int blockThreads, int sharedBytes,
      GpuStream stream, KernelArgs args) {
    if (gridX == 0 || gridY == 0 || gridZ == 0) {
      return;
    }
    Pointer[] params = new Pointer[args.size()];
    for (int i = 0; i < args.size(); i++) {
      params[i] = switch (args.kind(i)) {
        case POINTER, LONG -> Pointer.to(new long[] {args.value(i)});
        case INT -> Pointer.to(new int[] {args.intValue(i)});
        case FLOAT -> Pointer.to(new float[] {args.floatValue(i)});
      };
    }
    check(cuLaunchKernel((CUfunction) kernel.handle(), gridX, gridY, gridZ, blockThreads, 1, 1, sharedBytes,
        cu(stream), Pointer.to(params), null), "cuLaunchKernel(" + kernel.name() + ")");
  }

  @Override
  public void makeCurrent() {
    check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    makeCurrent();
    for (StreamHandle s : streams) {
      cuStreamSynchronize(s);
      cuStreamDestroy(s);
    }
    for (CUmodule m : modules) {
      cuModuleUnload(m);
    }
    cuDevicePrimaryCtxRelease(device);
  }

  @Override
  public String toString() {
    return name + " (sm_" + computeCapability + ")";
  }
}
