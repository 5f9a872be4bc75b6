package io.lorafleet.cuda;

import io.lorafleet.runtime.format.DType;
import io.lorafleet.runtime.format.LlamaConfig;
import io.lorafleet.runtime.model.Int8Quantizer;
import io.lorafleet.runtime.model.LayerWeights;
import io.lorafleet.runtime.model.Linear;
import io.lorafleet.runtime.model.LlamaWeights;
import io.lorafleet.runtime.model.Quantization;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The base model on the device. Matrices are bf16: BF16 checkpoints are copied as they are; F16 and F32
 * ones are rounded to bf16 on upload (logged once: their results then differ from the CPU backend's by
 * that rounding). Projections that read the same input are fused: q/k/v into one {@code [q + 2 kv, hidden]}
 * matrix and gate/up into one {@code [2 inter, hidden]}, so each is one matrix product. Norm weights are
 * float32.
 *
 * <p>With {@link Quantization#INT8} the projections (and an untied {@code lm_head}) are quantized on the
 * host while they are uploaded, a staging buffer of rows at a time ({@link Int8Quantizer}: symmetric, one
 * float32 scale per output feature), and stored as int8 codes followed by their scales (the layout {@link
 * Int8KernelGemm} reads); the embedding stays bf16.
 */
final class DeviceWeights implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DeviceWeights.class);
  private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final long STAGING_BYTES = 32L << 20;

  /** One layer's device addresses. */
  record Layer(long attnNorm, long qkv, long o, long ffnNorm, long gateUp, long down) {}

  private final Gpu gpu;
  private final List<Long> allocations = new ArrayList<>();
  private final long embed;
  private final List<Layer> layers;
  private final long finalNorm;
  private final long lmHead;
  private final Quantization quantization;
  private final boolean headQuantized;
  private long bytes;

  DeviceWeights(Gpu gpu, LlamaConfig c, LlamaWeights w) {
    this(gpu, c, w, Quantization.NONE);
  }

  DeviceWeights(Gpu gpu, LlamaConfig c, LlamaWeights w, Quantization quantization) {
    this.gpu = gpu;
    this.quantization = quantization;
    this.headQuantized = quantization.quantizesHead(w);
    MemorySegment staging = gpu.allocatePinned(STAGING_BYTES);
    try {
      if (w.embed().dtype() != DType.BF16) {
        log.info("weights are {}: rounding them to bf16 on the device", w.embed().dtype());
      }
      embed = matrices(staging, w.embed());
      List<Layer> ls = new ArrayList<>();
      for (LayerWeights lw : w.layers()) {
        ls.add(new Layer(floats(staging, lw.attnNorm()), projections(staging, lw.q(), lw.k(), lw.v()),
            projections(staging, lw.o()), floats(staging, lw.ffnNorm()), projections(staging, lw.gate(), lw.up()),
            projections(staging, lw.down())));
      }
      layers = List.copyOf(ls);
      finalNorm = floats(staging, w.finalNorm());
      lmHead = w.lmHead() == w.embed() ? embed
          : headQuantized ? int8Matrices(staging, w.lmHead()) : matrices(staging, w.lmHead());
    } catch (RuntimeException e) {
      close();
      throw e;
    } finally {
      gpu.freePinned(staging);
    }
  }

  long embed() {
    return embed;
  }

  List<Layer> layers() {
    return layers;
  }

  long finalNorm() {
    return finalNorm;
  }

  long lmHead() {
    return lmHead;
  }

  long bytes() {
    return bytes;
  }

  /** How the projections are stored. */
  Quantization quantization() {
    return quantization;
  }

  /** Whether {@link #lmHead()} is an int8 matrix. */
  boolean headQuantized() {
    return headQuantized;
  }

  private long projections(MemorySegment staging, Linear... parts) {
    return quantization == Quantization.INT8 ? int8Matrices(staging, parts) : matrices(staging, parts);
  }

  /**
   * Quantizes matrices with the same column count and uploads them as one int8 matrix, rows stacked in
   * order: the codes, then (at {@link Int8KernelGemm#scalesOffset}) one float32 scale per row.
   */
  private long int8Matrices(MemorySegment staging, Linear... parts) {
    int cols = parts[0].cols();
    long rows = 0;
    for (Linear p : parts) {
      if (p.cols() != cols) {
        throw new IllegalArgumentException("cannot stack " + p.name() + " under " + parts[0].name());
      }
      rows += p.rows();
    }
    long dst = allocate(Int8KernelGemm.bytes(rows, cols));
    float[] scales = new float[Math.toIntExact(rows)];
    int chunkRows = (int) Math.max(1, Math.min(Integer.MAX_VALUE / cols, staging.byteSize() / cols));
    byte[] codes = new byte[Math.toIntExact((long) Math.min(chunkRows, rows) * cols)];
    float[] chunkScales = new float[Math.min(chunkRows, Math.toIntExact(rows))];
    GpuStream s = gpu.computeStream();
    long row0 = 0;
    for (Linear p : parts) {
      for (int r0 = 0; r0 < p.rows(); r0 += chunkRows) {
        int r1 = Math.min(p.rows(), r0 + chunkRows);
        Int8Quantizer.quantizeRows(p, r0, r1, codes, chunkScales);
        long n = (long) (r1 - r0) * cols;
        MemorySegment.copy(codes, 0, staging, ValueLayout.JAVA_BYTE, 0, Math.toIntExact(n));
        gpu.copyToDevice(dst + (row0 + r0) * cols, staging.asSlice(0, n), s);
        gpu.synchronize(s);
        System.arraycopy(chunkScales, 0, scales, Math.toIntExact(row0 + r0), r1 - r0);
      }
      row0 += p.rows();
    }
    long scaleBytes = 4L * scales.length;
    for (long off = 0; off < scaleBytes; off += staging.byteSize()) {
      long n = Math.min(staging.byteSize(), scaleBytes - off);
      MemorySegment.copy(scales, Math.toIntExact(off / 4), staging, ValueLayout.JAVA_FLOAT, 0, Math.toIntExact(n / 4));
      gpu.copyToDevice(dst + Int8KernelGemm.scalesOffset(rows, cols) + off, staging.asSlice(0, n), s);
      gpu.synchronize(s);
    }
    return dst;
  }

  private long allocate(long n) {
    long a = gpu.allocate(n);
    allocations.add(a);
    bytes += n;
    return a;
  }

  /** Uploads matrices with the same column count as one matrix, rows stacked in order. */
  private long matrices(MemorySegment staging, Linear... parts) {
    long rows = 0;
    for (Linear p : parts) {
      if (p.cols() != parts[0].cols()) {
        throw new IllegalArgumentException("cannot stack " + p.name() + " under " + parts[0].name());
      }
      rows += p.rows();
    }
    long dst = allocate(rows * parts[0].cols() * 2);
    long at = dst;
    for (Linear p : parts) {
      at += upload(staging, p, at);
    }
    return dst;
  }

  /** Copies one matrix as bf16 to {@code dst} through the staging buffer; returns its device bytes. */
  private long upload(MemorySegment staging, Linear w, long dst) {
    long elements = (long) w.rows() * w.cols();
    long chunk = staging.byteSize() / 2;
    GpuStream s = gpu.computeStream();
    for (long e0 = 0; e0 < elements; e0 += chunk) {
      long n = Math.min(chunk, elements - e0);
      if (w.dtype() == DType.BF16) {
        MemorySegment.copy(w.data(), e0 * 2, staging, 0, n * 2);
      } else {
        for (long i = 0; i < n; i++) {
          float f = w.dtype() == DType.F32 ? w.data().get(FLOAT, (e0 + i) * 4)
              : Float.float16ToFloat(w.data().get(SHORT, (e0 + i) * 2));
          staging.set(SHORT, i * 2, Bf16.fromFloat(f));
        }
      }
      gpu.copyToDevice(dst + e0 * 2, staging.asSlice(0, n * 2), s);
      gpu.synchronize(s);
    }
    return elements * 2;
  }

  private long floats(MemorySegment staging, float[] v) {
    long dst = allocate((long) v.length * 4);
    MemorySegment.copy(v, 0, staging, ValueLayout.JAVA_FLOAT, 0, v.length);
    gpu.copyToDevice(dst, staging.asSlice(0, (long) v.length * 4), gpu.computeStream());
    gpu.synchronize(gpu.computeStream());
    return dst;
  }

  @Override
  public void close() {
    for (long a : allocations) {
      gpu.free(a);
    }
    allocations.clear();
  }
}
