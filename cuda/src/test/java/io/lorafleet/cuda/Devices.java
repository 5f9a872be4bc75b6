package io.lorafleet.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Opens the devices tests run on, or skips with the reason there is none. */
final class Devices {
  /** Memory the emulated device reports (its pool and workspace are host memory). */
  static final long EMULATED_MEMORY = 1L << 30;

  private Devices() {}

  /**
   * A real GPU (device 0), or the test is skipped: "no usable CUDA device: ...". With
   * {@code -Dlorafleet.requireGpu=true} (set by ops/gpu/run-gpu-tests.sh on a machine with an NVIDIA
   * driver) a missing device fails instead, so that a GPU run cannot pass by skipping everything.
   */
  static JCudaGpu gpu() {
    CudaProbe.Result probe = CudaProbe.probe();
    if (!probe.available() && Boolean.getBoolean("lorafleet.requireGpu")) {
      throw new AssertionError("a GPU is required here (-Dlorafleet.requireGpu) but: "
          + probe.unavailableReason().orElse(""));
    }
    assumeTrue(probe.available(), () -> "no usable CUDA device: " + probe.unavailableReason().orElse(""));
    return JCudaGpu.open(0);
  }

  /** The CPU emulator, or the test is skipped when its library was not built (no C++ compiler). */
  static EmulatedGpu emulator() {
    assumeTrue(EmulatedGpu.libraryPath().isPresent(),
        "CUDA emulator library not built (set -Dlorafleet.emulator.library; needs g++ on x86-64)");
    return new EmulatedGpu(EMULATED_MEMORY);
  }
}
