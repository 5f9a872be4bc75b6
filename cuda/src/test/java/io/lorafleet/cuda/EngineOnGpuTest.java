package io.lorafleet.cuda;

import org.junit.jupiter.api.Tag;

/** The engine with tokens picked on the device, on a real GPU; skipped without one. */
@Tag("gpu")
class EngineOnGpuTest extends EngineContract {
  @Override
  Gpu openGpu() {
    return Devices.gpu();
  }
}
