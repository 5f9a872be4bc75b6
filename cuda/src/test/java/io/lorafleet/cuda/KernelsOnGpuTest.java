package io.lorafleet.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The kernel checks on a real GPU; skipped without one. Adds the cuBLAS path. */
@Tag("gpu")
class KernelsOnGpuTest extends KernelContract {
  @Override
  Gpu openGpu() {
    return Devices.gpu();
  }

  @Test
  void cublasGemmMatchesDoublePrecision() {
    Optional<CublasLibrary> lib = CublasLibrary.load();
    assumeTrue(lib.isPresent(), () -> "no cuBLAS found among " + CublasLibrary.candidates());
    JCudaGpu g = (JCudaGpu) gpu;
    try (CublasGemm gemm = new CublasGemm(lib.get(), g.rawStream(s))) {
      System.out.println("[gpu] " + gemm.name());
      checkGemm(gemm, 70, 130, 200, 130);
      checkGemm(gemm, 2, 300, 96, 320);
      checkGemm(gemm, 512, 2048, 2048, 2048);
    }
  }
}
