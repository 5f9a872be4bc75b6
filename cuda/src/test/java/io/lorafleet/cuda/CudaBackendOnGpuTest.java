package io.lorafleet.cuda;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Tag;

/** The backend checks on a real GPU, all of reference.json; skipped without a CUDA device. */
@Tag("gpu")
class CudaBackendOnGpuTest extends BackendContract {
  @Override
  Gpu openGpu() {
    return Devices.gpu();
  }

  @Override
  boolean checks(JsonNode g) {
    return true;
  }

  @Override
  boolean checksBatch(JsonNode batch) {
    return true;
  }
}
