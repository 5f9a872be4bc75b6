package io.lorafleet.runtime.model;

/**
 * LoRA weights for one projection of one layer: {@code y += scaling * B (A x)} with {@code A} as
 * {@code [rank, in]} and {@code B} as {@code [out, rank]}, both row-major float32 (exact copies of the
 * stored BF16/F32 values).
 */
public record LoraModule(LoraTarget target, int layer, int rank, int in, int out, float[] a, float[] b, float scaling) {
  public long bytes() {
    return 4L * (a.length + b.length);
  }
}
