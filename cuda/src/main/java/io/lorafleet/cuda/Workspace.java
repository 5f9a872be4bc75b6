package io.lorafleet.cuda;

import java.util.EnumMap;
import java.util.Map;

/**
 * The step's scratch buffers on the device, one per role, each grown (by at least half) when a step
 * needs more. Only grown between steps, with the compute stream idle.
 */
final class Workspace implements AutoCloseable {
  /** The buffers of a step (sizes in CudaBackend.forward). */
  enum Buffer {
    X,
    NORMED,
    QKV,
    Q,
    ATTENTION,
    PROJECTION,
    GATE_UP,
    ACTIVATION,
    LORA,
    PARTIAL,
    FINAL,
    LOGITS_SPLIT,
    LOGITS,
    PLAN
  }

  private record Allocation(long address, long bytes) {}

  private final Gpu gpu;
  private final Map<Buffer, Allocation> buffers = new EnumMap<>(Buffer.class);

  Workspace(Gpu gpu) {
    this.gpu = gpu;
  }

  /** Address of {@code b}, at least {@code bytes} long. */
  long ensure(Buffer b, long bytes) {
    Allocation a = buffers.get(b);
    if (a != null && a.bytes() >= bytes) {
      return a.address();
    }
    long size = Math.max(Math.max(bytes, 256), a == null ? 0 : a.bytes() + a.bytes() / 2);
    if (a != null) {
      gpu.free(a.address());
    }
    Allocation n = new Allocation(gpu.allocate(size), size);
    buffers.put(b, n);
    return n.address();
  }

  long bytes() {
    return buffers.values().stream().mapToLong(Allocation::bytes).sum();
  }

  @Override
  public void close() {
    for (Allocation a : buffers.values()) {
      gpu.free(a.address());
    }
    buffers.clear();
  }
}
