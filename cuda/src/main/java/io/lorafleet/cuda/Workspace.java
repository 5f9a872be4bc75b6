package io.lorafleet.cuda;

import io.lorafleet.runtime.format.LlamaConfig;
import java.util.EnumMap;
import java.util.Map;

/**
 * The step's scratch memory on the device, one buffer per role, all sized from the step limits
 * ({@link Limits}: rows per step from {@code max-batch-tokens}, logits rows per slice and decode graph,
 * decode rows per step) and the model, and allocated together up front ({@link #reserve}), so that no step allocates and
 * a long prompt cannot fail for memory mid-serving. The captured decode graphs name these buffers, so
 * they never move while graphs exist; {@link #generation} changes when they are reserved again (a caller
 * that skipped the engine's limits), which retires the graphs. The general step's plan buffer is apart:
 * it may grow, since no graph reads it.
 */
final class Workspace implements AutoCloseable {
  /** The buffers of a step (sizes in {@link #sizes}). */
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
    SCORES,
    PROBS,
    RESULT
  }

  /**
   * What a step may hold.
   *
   * @param rows         rows (tokens) per step
   * @param logitRows    logits rows per LM-head slice (a step with more goes slice by slice); also the rows
   *                     of the largest decode graph
   * @param decodeRows   most decode rows (one-row sequences) a step may have
   * @param partialItems flash-decoding blocks (row x range) of the largest decode launch
   * @param planBytes    bytes the general step's plan is reserved for (it grows past them if needed)
   */
  record Limits(int rows, int logitRows, int decodeRows, int partialItems, long planBytes) {}

  private record Allocation(long address, long bytes) {}

  private final Gpu gpu;
  private final LlamaConfig c;
  private final Map<Buffer, Allocation> buffers = new EnumMap<>(Buffer.class);
  private Limits limits;
  private int generation;
  private long plan;
  private long planBytes;

  Workspace(Gpu gpu, LlamaConfig c) {
    this.gpu = gpu;
    this.c = c;
  }

  /** Bytes of each buffer for {@code l}. */
  static Map<Buffer, Long> sizes(LlamaConfig c, Limits l) {
    long r = l.rows();
    long n = l.logitRows();
    int h = c.hiddenSize();
    int qkv = c.queryDim() + 2 * c.kvDim();
    Map<Buffer, Long> m = new EnumMap<>(Buffer.class);
    m.put(Buffer.X, 4L * r * h);
    m.put(Buffer.NORMED, 2L * 2 * r * h);
    m.put(Buffer.QKV, 4L * 2 * r * qkv);
    m.put(Buffer.Q, 4L * r * c.queryDim());
    m.put(Buffer.ATTENTION, 2L * 2 * r * c.queryDim());
    m.put(Buffer.PROJECTION, 4L * 2 * r * h);
    m.put(Buffer.GATE_UP, 4L * 2 * r * 2 * c.intermediateSize());
    m.put(Buffer.ACTIVATION, 2L * 2 * r * c.intermediateSize());
    m.put(Buffer.LORA, 4L * r * Kernels.LORA_TARGETS_PER_LAUNCH * Kernels.LORA_MAX_RANK);
    m.put(Buffer.PARTIAL, 4L * Math.max(1, l.partialItems()) * c.numHeads() * (c.headDim() + 2));
    m.put(Buffer.FINAL, 2L * 2 * n * h);
    m.put(Buffer.LOGITS_SPLIT, 4L * 2 * n * c.vocabSize());
    m.put(Buffer.LOGITS, 4L * n * c.vocabSize());
    m.put(Buffer.SCORES, 4L * n * c.vocabSize());
    m.put(Buffer.PROBS, 8L * n * c.vocabSize());
    m.put(Buffer.RESULT, 8L * Math.max(r, n));
    return m;
  }

  /** Frees what was reserved and allocates every buffer for {@code l}. */
  void reserve(Limits l) {
    release();
    try {
      for (var e : sizes(c, l).entrySet()) {
        long bytes = (e.getValue() + 255) / 256 * 256;
        buffers.put(e.getKey(), new Allocation(gpu.allocate(bytes), bytes));
      }
      planBytes = Math.max(4096, l.planBytes());
      plan = gpu.allocate(planBytes);
    } catch (RuntimeException e) {
      release();
      throw e;
    }
    limits = l;
    generation++;
  }

  boolean reserved() {
    return limits != null;
  }

  Limits limits() {
    return limits;
  }

  /** Changes whenever the buffers move. */
  int generation() {
    return generation;
  }

  long address(Buffer b) {
    return buffers.get(b).address();
  }

  /** The general step's plan buffer, at least {@code bytes} long (grown with the compute stream idle). */
  long plan(long bytes) {
    if (bytes > planBytes) {
      gpu.free(plan);
      planBytes = Math.max(bytes, planBytes + planBytes / 2);
      plan = gpu.allocate(planBytes);
    }
    return plan;
  }

  long bytes() {
    return buffers.values().stream().mapToLong(Allocation::bytes).sum() + planBytes;
  }

  private void release() {
    for (Allocation a : buffers.values()) {
      gpu.free(a.address());
    }
    buffers.clear();
    if (plan != 0) {
      gpu.free(plan);
      plan = 0;
      planBytes = 0;
    }
    limits = null;
  }

  @Override
  public void close() {
    release();
  }
}
