package io.lorafleet.tools.synthetic;

import io.lorafleet.runtime.format.DType;
import io.lorafleet.runtime.format.SafetensorsWriter;
import io.lorafleet.runtime.format.TensorHeader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;

/**
 * Writes a safetensors file whose tensor contents are generated while they are written: a chunk at a
 * time per thread, straight to the file with positional writes, so no more than one buffer per thread is
 * ever in memory. Tensors are laid out contiguously in the order given; the JSON header is padded with
 * spaces so that the data region starts at a multiple of 8 bytes. The contents depend only on the seed
 * and the tensor list, never on the thread count.
 */
public final class SafetensorsGenerator {
  /** Bytes generated per write. */
  static final int CHUNK_BYTES = 8 << 20;


  private SafetensorsGenerator() {}

  /**
   * The header as stored after the 8-byte length: compact JSON with {@code __metadata__} first, then the
   * tensors with contiguous {@code data_offsets}, padded with spaces to a multiple of 8 bytes.
   */
  public static byte[] header(List<TensorSpec> tensors, Map<String, String> metadata) {
    return SafetensorsWriter.header(
        tensors.stream().map(t -> new TensorHeader(t.name(), t.dtype(), t.shape())).toList(), metadata);
  }

  /** Size of the file {@link #write} produces. */
  public static long fileSize(List<TensorSpec> tensors, Map<String, String> metadata) {
    long data = 0;
    for (TensorSpec t : tensors) {
      data += t.bytes();
    }
    return 8L + header(tensors, metadata).length + data;
  }

  /**
   * Writes {@code file} (replacing it) with {@code threads} threads; {@code progress} hears the number of
   * data bytes each chunk adds, from the writing threads.
   */
  public static void write(Path file, List<TensorSpec> tensors, Map<String, String> metadata, long seed, int threads,
      LongConsumer progress) throws IOException {
    byte[] header = header(tensors, metadata);
    long dataStart = 8L + header.length;
    long[] offsets = new long[tensors.size()];
    long offset = 0;
    for (int i = 0; i < tensors.size(); i++) {
      offsets[i] = offset;
      offset += tensors.get(i).bytes();
    }
    long fileSize = dataStart + offset;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer head = ByteBuffer.allocate(header.length + 8).order(ByteOrder.LITTLE_ENDIAN);
      head.putLong(header.length).put(header).flip();
      writeFully(ch, head, 0);
      // Largest tensors first, so that the threads finish together.
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < tensors.size(); i++) {
        order.add(i);
      }
      order.sort(Comparator.comparingLong((Integer i) -> tensors.get(i).bytes()).reversed());
      AtomicInteger next = new AtomicInteger();
      int n = Math.max(1, Math.min(threads, tensors.size()));
      try (ExecutorService exec = Executors.newFixedThreadPool(n, r -> {
        Thread t = new Thread(r, "lorafleet-bench-writer");
        t.setDaemon(true);
        return t;
      })) {
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < n; w++) {
          done.add(exec.submit(() -> {
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            int k;
            while ((k = next.getAndIncrement()) < order.size()) {
              int i = order.get(k);
              writeTensor(ch, tensors.get(i), dataStart + offsets[i], tensorSeed(seed, i), buf, progress);
            }
            return null;
          }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } catch (ExecutionException e) {
        if (e.getCause() instanceof UncheckedIOException u) {
          throw u.getCause();
        }
        throw new IOException(file + ": writing failed: " + e.getCause(), e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(file + ": interrupted while writing", e);
      }
      if (ch.size() != fileSize) {
        throw new IOException(file + ": wrote " + ch.size() + " bytes, expected " + fileSize);
      }
    }
  }

  private static long tensorSeed(long seed, int index) {
    long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static void writeTensor(FileChannel ch, TensorSpec t, long position, long seed, ByteBuffer buf,
      LongConsumer progress) {
    SplittableRandom rng = new SplittableRandom(seed);
    int eb = t.dtype().bytes();
    long remaining = t.elements();
    long pos = position;
    while (remaining > 0) {
      int count = (int) Math.min(remaining, CHUNK_BYTES / eb);
      buf.clear();
      fill(buf, t.dtype(), t.fill(), count, rng);
      buf.flip();
      int bytes = buf.remaining();
      try {
        writeFully(ch, buf, pos);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      pos += bytes;
      remaining -= count;
      progress.accept(bytes);
    }
  }

  /** Appends {@code count} elements of {@code dtype} to {@code buf} (little-endian). */
  static void fill(ByteBuffer buf, DType dtype, TensorFill fill, int count, SplittableRandom rng) {
    switch (fill) {
      case TensorFill.Constant c -> fillConstant(buf, dtype, c.value(), count);
      case TensorFill.Normal n -> {
        switch (dtype) {
          case BF16 -> fillNormalBf16(buf, NormalSamples.bf16(n.std()), count, rng);
          case F32 -> fillNormalF32(buf, n.std(), count, rng);
          case F16 -> {
            for (int i = 0; i < count; i++) {
              buf.putShort(Float.floatToFloat16(NormalSamples.scaled(rng.nextInt(), n.std())));
            }
          }
        }
      }
    }
  }

  private static void fillNormalBf16(ByteBuffer buf, char[] table, int count, SplittableRandom rng) {
    int i = 0;
    for (; i + 4 <= count; i += 4) {
      long r = rng.nextLong();
      buf.putLong(table[(int) r & NormalSamples.MASK]
          | (long) table[(int) (r >>> 16) & NormalSamples.MASK] << 16
          | (long) table[(int) (r >>> 32) & NormalSamples.MASK] << 32
          | (long) table[(int) (r >>> 48)] << 48);
    }
    for (; i < count; i++) {
      buf.putChar(table[rng.nextInt() & NormalSamples.MASK]);
    }
  }

  private static void fillNormalF32(ByteBuffer buf, float std, int count, SplittableRandom rng) {
    int i = 0;
    for (; i + 4 <= count; i += 4) {
      long r = rng.nextLong();
      buf.putFloat(NormalSamples.scaled((int) r, std));
      buf.putFloat(NormalSamples.scaled((int) (r >>> 16), std));
      buf.putFloat(NormalSamples.scaled((int) (r >>> 32), std));
      buf.putFloat(NormalSamples.scaled((int) (r >>> 48), std));
    }
    for (; i < count; i++) {
      buf.putFloat(NormalSamples.scaled(rng.nextInt(), std));
    }
  }

  private static void fillConstant(ByteBuffer buf, DType dtype, float value, int count) {
    for (int i = 0; i < count; i++) {
      switch (dtype) {
        case BF16 -> buf.putChar(NormalSamples.bf16Bits(value));
        case F16 -> buf.putShort(Float.floatToFloat16(value));
        case F32 -> buf.putFloat(value);
      }
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    long pos = position;
    while (buf.hasRemaining()) {
      pos += ch.write(buf, pos);
    }
  }
}
