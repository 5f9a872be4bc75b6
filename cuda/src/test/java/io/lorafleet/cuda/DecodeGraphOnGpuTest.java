package io.lorafleet.cuda;

import org.junit.jupiter.api.Tag;

/** Decode graphs against the eager step on a real GPU; skipped without one. */
@Tag("gpu")
class DecodeGraphOnGpuTest extends DecodeGraphContract {
  @Override
  Gpu openGpu() {
    return Devices.gpu();
  }
}
