package io.lorafleet.cuda;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Tag;

/**
 * The backend checks on the CPU emulator. The emulator runs every CUDA thread as a fiber, so it checks a
 * sample: every adapter (and the base) on the shortest prompt, the long prompt with two adapters, and
 * the first mixed batch. The GPU run checks all of them.
 */
@Tag("emulator")
class CudaBackendOnEmulatorTest extends BackendContract {
  @Override
  Gpu openGpu() {
    return Devices.emulator();
  }

  @Override
  boolean checks(JsonNode g) {
    int prompt = g.get("prompt").asInt();
    String adapter = CudaFixtures.adapterOf(g);
    return prompt == 0 || (prompt == 2 && ("adapter-all-r16".equals(adapter) || "adapter-qv-r8".equals(adapter)));
  }

  @Override
  boolean checksBatch(JsonNode batch) {
    return batch.get("name").asText().equals("batch0");
  }
}
