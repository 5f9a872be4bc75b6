package io.lorafleet.runtime.format;

import java.util.Optional;

/** Element types LoraFleet reads from safetensors files. */
public enum DType {
  BF16(2),
  F16(2),
  F32(4);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  public int bytes() {
    return bytes;
  }

  /** The safetensors spelling ("BF16", "F16", "F32"); empty for types we do not support. */
  public static Optional<DType> fromSafetensors(String name) {
    return switch (name) {
      case "BF16" -> Optional.of(BF16);
      case "F16" -> Optional.of(F16);
      case "F32" -> Optional.of(F32);
      default -> Optional.empty();
    };
  }
}
