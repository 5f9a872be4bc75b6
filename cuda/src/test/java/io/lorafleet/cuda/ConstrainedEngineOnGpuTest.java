package io.lorafleet.cuda;

import org.junit.jupiter.api.Tag;

/** {@link ConstrainedEngineContract} on a real GPU (skipped without one). */
@Tag("gpu")
class ConstrainedEngineOnGpuTest extends ConstrainedEngineContract {
  @Override
  Gpu openGpu() {
    return Devices.gpu();
  }

  @Override
  int freeTokens() {
    return 24;
  }
}
