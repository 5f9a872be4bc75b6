package io.lorafleet.cuda;

import io.lorafleet.runtime.format.LlamaConfig;
import io.lorafleet.runtime.model.Rope;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The RoPE angles on the device: per position, head_dim / 2 cosines then head_dim / 2 sines, computed on
 * the host by {@link Rope#angles} (double precision, llama3 scaling included), exactly the values the CPU
 * backend uses. The backend fills it for every position the model has up front; it grows (and moves, which
 * retires the decode graphs that name it) only for positions beyond those.
 */
final class RopeTable implements AutoCloseable {
  private static final int STEP = 1024;

  private final Gpu gpu;
  private final Rope rope;
  private final int headDim;
  private long address;
  private int capacity;

  RopeTable(Gpu gpu, LlamaConfig config) {
    this.gpu = gpu;
    this.rope = new Rope(config);
    this.headDim = config.headDim();
  }

  /** The table's device address (0 before the first {@link #ensure}); it moves when the table grows. */
  long address() {
    return address;
  }

  /** The table's device address, covering positions {@code 0..maxPosition}. Call with the compute stream idle. */
  long ensure(int maxPosition) {
    if (maxPosition < capacity) {
      return address;
    }
    int cap = Math.max(capacity * 2, (maxPosition / STEP + 1) * STEP);
    int half = headDim / 2;
    float[] cos = new float[half];
    float[] sin = new float[half];
    long bytes = (long) cap * headDim * Float.BYTES;
    long next = gpu.allocate(bytes);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment host = arena.allocate(bytes, 16);
      for (int p = 0; p < cap; p++) {
        rope.angles(p, cos, sin);
        long at = (long) p * headDim * Float.BYTES;
        MemorySegment.copy(cos, 0, host, ValueLayout.JAVA_FLOAT, at, half);
        MemorySegment.copy(sin, 0, host, ValueLayout.JAVA_FLOAT, at + (long) half * Float.BYTES, half);
      }
      gpu.copyToDevice(next, host, gpu.computeStream());
      gpu.synchronize(gpu.computeStream());
    }
    if (address != 0) {
      gpu.free(address);
    }
    address = next;
    capacity = cap;
    return address;
  }

  @Override
  public void close() {
    if (address != 0) {
      gpu.free(address);
      address = 0;
      capacity = 0;
    }
  }
}
