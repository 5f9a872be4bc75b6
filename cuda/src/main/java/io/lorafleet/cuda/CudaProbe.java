package io.lorafleet.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.util.Optional;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * Whether the CUDA backend can run here, decided once per JVM without printing anything: the driver
 * library, then JCuda's native binding (a {@link LinkageError} is caught once and remembered, since the
 * binding's class cannot be retried), then a device, then the kernels the build produced.
 */
final class CudaProbe {
  /** Empty reason when usable; {@code device} describes device 0 when there is one. */
  public record Result(Optional<String> unavailableReason, String device) {
    public boolean available() {
      return unavailableReason.isEmpty();
    }
  }

  private static Result cached;

  private CudaProbe() {}

  public static synchronized Result probe() {
    if (cached == null) {
      cached = run();
    }
    return cached;
  }

  private static Result unavailable(String reason) {
    return new Result(Optional.of(reason), "");
  }

  @SuppressWarnings("restricted")
  private static Result run() {
    try (Arena arena = Arena.ofConfined()) {
      SymbolLookup.libraryLookup("libcuda.so.1", arena);
    } catch (IllegalArgumentException | UnsatisfiedLinkError e) {
      return unavailable("no CUDA driver (libcuda.so.1 not found)");
    }
    int count;
    String device;
    int cc;
    try {
      int r = JCudaDriver.cuInit(0);
      if (r == CUresult.CUDA_ERROR_NO_DEVICE) {
        return unavailable("no CUDA device");
      }
      if (r != CUresult.CUDA_SUCCESS) {
        return unavailable("the CUDA driver did not start (cuInit: " + CUresult.stringFor(r) + ")");
      }
      int[] n = new int[1];
      r = JCudaDriver.cuDeviceGetCount(n);
      if (r != CUresult.CUDA_SUCCESS || n[0] == 0) {
        return unavailable("no CUDA device");
      }
      count = n[0];
      CUdevice d = new CUdevice();
      JCudaDriver.cuDeviceGet(d, 0);
      byte[] name = new byte[256];
      JCudaDriver.cuDeviceGetName(name, name.length, d);
      int len = 0;
      while (len < name.length && name[len] != 0) {
        len++;
      }
      int[] major = new int[1];
      int[] minor = new int[1];
      JCudaDriver.cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, d);
      JCudaDriver.cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, d);
      cc = major[0] * 10 + minor[0];
      device = new String(name, 0, len, java.nio.charset.StandardCharsets.UTF_8) + " (sm_" + cc + ")"
          + (count > 1 ? " and " + (count - 1) + " more" : "");
    } catch (LinkageError e) {
      return unavailable("the JCuda driver binding did not load (" + e.getMessage() + ")");
    }
    var manifest = KernelImages.manifest();
    if (manifest.isEmpty()) {
      return unavailable("kernels not built (nvcc missing at build time)");
    }
    if (KernelImages.select(manifest.get(), cc).isEmpty()) {
      return unavailable(device + " has compute capability " + cc / 10 + "." + cc % 10 + "; the kernels need "
          + KernelImages.MIN_COMPUTE_CAPABILITY / 10 + ".0 or newer");
    }
    return new Result(Optional.empty(), device);
  }
}
