package io.lorafleet.cuda;

import org.junit.jupiter.api.Tag;

/** The kernel checks on the CPU emulator: the same .cu sources, compiled by g++. */
@Tag("emulator")
class KernelsOnEmulatorTest extends KernelContract {
  @Override
  Gpu openGpu() {
    return Devices.emulator();
  }

  @Override
  int samplingRows() {
    return 400;
  }
}
