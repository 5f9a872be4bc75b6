package io.lorafleet.runtime.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lorafleet.runtime.backend.NativeGemm;
import io.lorafleet.runtime.model.LlamaModel;

/**
 * {@link CpuBackendParityTest} with native GEMM on as it runs in production (products of 16+ rows on
 * oneDNN's bf16 matmul: the prompts' prefill; single-row decode steps on the Vector-API kernels): greedy
 * continuations equal the reference's for every prompt and adapter. oneDNN 2.x multiplies bf16 by bf16
 * only (no f32 x bf16 matmul), so a product's inputs are rounded to bf16 (2^-9 relative) first: logits are
 * looser than with the f32 kernels (under 2e-3), and a prompt computed in one large product equals the
 * same tokens decoded one by one in its greedy choices, not bit for bit. Skipped where libdnnl.so.2 does
 * not load (CI installs libdnnl2, see .ci/run).
 */
class CpuBackendNativeGemmParityTest extends CpuBackendParityTest {
  /** Measured on the fixture model: 0.144 (every product on oneDNN, 16+ rows). */
  @Override
  double firstStepLogitTolerance() {
    return 0.3;
  }

  @Override
  void assertSameLogits(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    double max = 0;
    for (int i = 0; i < expected.length; i++) {
      max = Math.max(max, Math.abs(expected[i] - actual[i]));
    }
    assertTrue(max < firstStepLogitTolerance(), what + ": logits differ by " + max);
    assertEquals(argmax(expected), argmax(actual), what + ": greedy token");
  }

  @Override
  CpuBackend create(LlamaModel m) {
    var why = OneDnnMatmul.unavailableReason();
    assumeTrue(why.isEmpty(), () -> "skipped: " + why.orElse("") + " (CI installs libdnnl2 in .ci/run)");
    CpuBackend b = new CpuBackend(m, 2, NativeGemm.ON);
    assertTrue(b.usesNativeGemm(16) && b.gemmPath().startsWith("onednn"), b.gemmPath());
    return b;
  }
}
