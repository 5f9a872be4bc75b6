package io.lorafleet.cuda;

import org.junit.jupiter.api.Tag;

/** {@link ConstrainedEngineContract} on the CPU emulator of the CUDA kernels. */
@Tag("emulator")
class ConstrainedEngineOnEmulatorTest extends ConstrainedEngineContract {
  @Override
  Gpu openGpu() {
    return Devices.emulator();
  }

  @Override
  int freeTokens() {
    return 8;
  }
}
