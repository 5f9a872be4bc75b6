package io.lorafleet.runtime.format;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file: tensors are declared first (name, type, shape), then their bytes are
 * streamed in declaration order, so files larger than the heap can be written.
 */
public final class SafetensorsWriter implements AutoCloseable {
  /** Fills {@code out} (little-endian, exactly the tensor's size) with the tensor's bytes. */
  @FunctionalInterface
  public interface Content {
    void write(ByteBuffer out);
  }

  private record Entry(TensorHeader header, Content content) {}

  private final Path path;
  private final List<Entry> entries = new ArrayList<>();
  private final Map<String, String> metadata;

  public SafetensorsWriter(Path path, Map<String, String> metadata) {
    this.path = path;
    this.metadata = Map.copyOf(metadata);
  }

  /** Declares a tensor whose bytes {@code content} produces when the file is written. */
  public SafetensorsWriter add(String name, DType dtype, long[] shape, Content content) {
    entries.add(new Entry(new TensorHeader(name, dtype, shape), content));
    return this;
  }

  /** Declares a float tensor stored as {@code dtype} (BF16 by truncation-free rounding to nearest even). */
  public SafetensorsWriter add(String name, DType dtype, long[] shape, float[] values) {
    return add(name, dtype, shape, buf -> {
      for (float v : values) {
        switch (dtype) {
          case F32 -> buf.putFloat(v);
          case F16 -> buf.putShort(Float.floatToFloat16(v));
          case BF16 -> buf.putShort(toBf16(v));
        }
      }
    });
  }

  /** Round-to-nearest-even float → bfloat16 bits (NaN stays NaN). */
  public static short toBf16(float v) {
    int bits = Float.floatToRawIntBits(v);
    if (Float.isNaN(v)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int rounding = 0x7fff + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }

  /**
   * The header as stored after the 8-byte length: compact JSON ({@code __metadata__} first, then the
   * tensors in order with contiguous {@code data_offsets}), padded with spaces to a multiple of 8 bytes so
   * the data region is aligned.
   */
  public static byte[] header(List<TensorHeader> tensors, Map<String, String> metadata) {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = root.putObject("__metadata__");
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (TensorHeader t : tensors) {
      if (root.has(t.name())) {
        throw new IllegalArgumentException("duplicate tensor " + t.name());
      }
      ObjectNode e = root.putObject(t.name());
      e.put("dtype", t.dtype().name());
      var shape = e.putArray("shape");
      for (long d : t.shape()) {
        shape.add(d);
      }
      long end = offset + t.bytes();
      e.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    byte[] h = root.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (h.length + 7) & ~7;
    byte[] out = Arrays.copyOf(h, padded);
    Arrays.fill(out, h.length, padded, (byte) ' ');
    return out;
  }

  /** Writes header and data; tensors are laid out contiguously in declaration order. */
  @Override
  public void close() throws IOException {
    byte[] h = header(entries.stream().map(Entry::header).toList(), metadata);
    ByteBuffer head = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(h.length).put(h);
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      head.flip();
      while (head.hasRemaining()) {
        ch.write(head);
      }
      for (Entry e : entries) {
        long bytes = e.header().bytes();
        String name = e.header().name();
        if (bytes > Integer.MAX_VALUE - 8) {
          throw new IOException("tensor " + name + " is too large to write in one piece");
        }
        ByteBuffer buf = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        e.content().write(buf);
        if (buf.position() != bytes) {
          throw new IOException("tensor " + name + ": content wrote " + buf.position() + " of " + bytes + " bytes");
        }
        buf.flip();
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
      }
    }
  }
}
