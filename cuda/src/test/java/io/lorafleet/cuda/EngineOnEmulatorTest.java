package io.lorafleet.cuda;

import org.junit.jupiter.api.Tag;

/** The engine with tokens picked on the device, on the CPU emulator. */
@Tag("emulator")
class EngineOnEmulatorTest extends EngineContract {
  @Override
  Gpu openGpu() {
    return Devices.emulator();
  }
}
