package io.lorafleet.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.backend.BackendAgreement;
import io.lorafleet.runtime.backend.cpu.CpuBackend;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.model.Quantization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code --quantize int8} on the CUDA backend (the emulator running the same kernel sources) against the
 * CPU backend with int8 weights: both quantize the same rows the same way, so they differ only by the
 * order of the float sums and the split-bf16 activations of the device. Greedy tokens must be identical
 * and logits within the tolerance the bf16 CUDA backend meets against the reference.
 */
@Tag("emulator")
class Int8BackendOnEmulatorTest {
  private static final int BLOCK = 16;
  private static final int TOKENS = 4;

  @Test
  void int8DeviceBackendFollowsTheInt8CpuBackendWithAndWithoutAdapters() {
    EmulatedGpu gpu = Devices.emulator();
    try (LlamaModel model = CudaFixtures.model();
        CpuBackend cpu = new CpuBackend(model, 2, Quantization.INT8)) {
      CudaBackend cuda;
      try {
        cuda = new CudaBackend(model, gpu, CudaConfig.DEFAULTS.withAdapterPoolBytes(64L << 20), Quantization.INT8);
      } catch (RuntimeException e) {
        gpu.close();
        throw e;
      }
      try (cuda) {
        assertEquals(Quantization.INT8, cuda.quantization());
        assertTrue(cuda.name().contains("int8"), cuda.name());
        cpu.allocateKvCache(64, BLOCK);
        cuda.allocateKvCache(64, BLOCK);
        Map<String, LoraAdapter> adapters = CudaFixtures.adapters(model);
        List<int[]> prompts = List.of(Fixtures.promptIds(0));
        BackendAgreement.Result base = BackendAgreement.compare(cpu, -1, cuda, -1, prompts, TOKENS, BLOCK);
        LoraAdapter a = adapters.get("adapter-all-r16");
        BackendAgreement.Result lora = BackendAgreement.compare(cpu, cpu.uploadAdapter(a), cuda, cuda.uploadAdapter(a),
            prompts, TOKENS, BLOCK);
        for (BackendAgreement.Result r : List.of(base, lora)) {
          assertEquals(r.sequences(), r.identicalGreedy(), "greedy continuations differ: " + r);
          assertEquals(r.positions(), r.agreedTop1(), r.toString());
          assertTrue(r.maxAbsError() < BackendContract.LOGIT_TOLERANCE, r.toString());
        }
      }
    }
  }
}
