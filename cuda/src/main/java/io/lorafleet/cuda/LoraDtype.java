package io.lorafleet.cuda;

import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.model.LoraModule;

/**
 * How an adapter's weights are stored on the device: bf16 when every value is exactly a bf16 (adapters
 * saved in bf16, the common case, at half the pages), float32 otherwise, so that no value changes.
 */
enum LoraDtype {
  F32(4, 0),
  BF16(2, 1);

  private final int bytes;
  private final int code;

  LoraDtype(int bytes, int code) {
    this.bytes = bytes;
    this.code = code;
  }

  public int bytes() {
    return bytes;
  }

  /** The value of {@code LoraModuleDesc.dtype} in lora.cu. */
  public int code() {
    return code;
  }

  public static LoraDtype of(LoraAdapter adapter) {
    for (int l = 0; l < adapter.numLayers(); l++) {
      for (LoraModule m : adapter.layer(l).values()) {
        if (!bf16Exact(m.a()) || !bf16Exact(m.b())) {
          return F32;
        }
      }
    }
    return BF16;
  }

  private static boolean bf16Exact(float[] v) {
    for (float f : v) {
      if ((Float.floatToRawIntBits(f) & 0xffff) != 0) {
        return false;
      }
    }
    return true;
  }
}
