package io.lorafleet.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/** Test helper: arrays to and from device memory (synchronously), freed together. */
final class DeviceIo implements AutoCloseable {
  private final Gpu gpu;
  private final List<Long> allocations = new ArrayList<>();

  DeviceIo(Gpu gpu) {
    this.gpu = gpu;
  }

  Gpu gpu() {
    return gpu;
  }

  long zeros(long bytes) {
    long a = gpu.allocate(Math.max(bytes, 4));
    allocations.add(a);
    gpu.zero(a, Math.max(bytes, 4), gpu.computeStream());
    gpu.synchronize(gpu.computeStream());
    return a;
  }

  long upload(MemorySegment src) {
    long a = gpu.allocate(Math.max(src.byteSize(), 4));
    allocations.add(a);
    if (src.byteSize() > 0) {
      gpu.copyToDevice(a, src, gpu.computeStream());
      gpu.synchronize(gpu.computeStream());
    }
    return a;
  }

  long floats(float[] v) {
    try (Arena arena = Arena.ofConfined()) {
      return upload(arena.allocateFrom(ValueLayout.JAVA_FLOAT, v));
    }
  }

  long ints(int[] v) {
    try (Arena arena = Arena.ofConfined()) {
      return upload(arena.allocateFrom(ValueLayout.JAVA_INT, v));
    }
  }

  long longs(long[] v) {
    try (Arena arena = Arena.ofConfined()) {
      return upload(arena.allocateFrom(ValueLayout.JAVA_LONG, v));
    }
  }

  long shorts(short[] v) {
    try (Arena arena = Arena.ofConfined()) {
      return upload(arena.allocateFrom(ValueLayout.JAVA_SHORT, v));
    }
  }

  /** Copies {@code v} into existing device memory at {@code dst}. */
  void write(long dst, float[] v) {
    try (Arena arena = Arena.ofConfined()) {
      gpu.copyToDevice(dst, arena.allocateFrom(ValueLayout.JAVA_FLOAT, v), gpu.computeStream());
      gpu.synchronize(gpu.computeStream());
    }
  }

  private MemorySegment read(long src, long bytes, Arena arena) {
    MemorySegment host = arena.allocate(Math.max(bytes, 1), 8).asSlice(0, bytes);
    gpu.copyToHost(host, src, gpu.computeStream());
    gpu.synchronize(gpu.computeStream());
    return host;
  }

  float[] readFloats(long src, int n) {
    try (Arena arena = Arena.ofConfined()) {
      return read(src, 4L * n, arena).toArray(ValueLayout.JAVA_FLOAT);
    }
  }

  int[] readInts(long src, int n) {
    try (Arena arena = Arena.ofConfined()) {
      return read(src, 4L * n, arena).toArray(ValueLayout.JAVA_INT);
    }
  }

  short[] readShorts(long src, int n) {
    try (Arena arena = Arena.ofConfined()) {
      return read(src, 2L * n, arena).toArray(ValueLayout.JAVA_SHORT);
    }
  }

  /** A split-bf16 matrix ([2 rows, cols]: hi rows then lo rows) read back as floats (hi + lo). */
  float[] readSplit(long src, int rows, int cols) {
    short[] s = readShorts(src, 2 * rows * cols);
    float[] out = new float[rows * cols];
    for (int i = 0; i < out.length; i++) {
      out[i] = Bf16.toFloat(s[i]) + Bf16.toFloat(s[rows * cols + i]);
    }
    return out;
  }

  /** Uploads {@code v} as a split-bf16 matrix of {@code rows} rows. */
  long split(float[] v, int rows) {
    short[] s = new short[2 * v.length];
    for (int i = 0; i < v.length; i++) {
      short hi = Bf16.fromFloat(v[i]);
      s[i] = hi;
      s[v.length + i] = Bf16.fromFloat(v[i] - Bf16.toFloat(hi));
    }
    return shorts(s);
  }

  @Override
  public void close() {
    for (long a : allocations) {
      gpu.free(a);
    }
    allocations.clear();
  }
}
