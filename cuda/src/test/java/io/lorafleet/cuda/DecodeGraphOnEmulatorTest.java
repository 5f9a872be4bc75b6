package io.lorafleet.cuda;

import org.junit.jupiter.api.Tag;

/** Decode graphs against the eager step on the CPU emulator. */
@Tag("emulator")
class DecodeGraphOnEmulatorTest extends DecodeGraphContract {
  @Override
  Gpu openGpu() {
    return Devices.emulator();
  }
}
