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

  private record Entry(String name, DType dtype, long[] shape, long bytes, Content content) {}

  private final Path path;
  private final List<Entry> entries = new ArrayList<>();
  private final Map<String, String> metadata;

  public SafetensorsWriter(Path path, Map<String, String> metadata) {
    this.path = path;
    this.metadata = Map.copyOf(metadata);
  }

  /** Declares a tensor whose bytes {@code content} produces when the file is written. */
  public SafetensorsWriter add(String name, DType dtype, long[] shape, Content content) {
    long n = Arrays.stream(shape).reduce(1, Math::multiplyExact);
    entries.add(new Entry(name, dtype, shape.clone(), Math.multiplyExact(n, dtype.bytes()), content));
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

  /** Writes header and data; tensors are laid out contiguously in declaration order. */
  @Override
  public void close() throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode header = json.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = header.putObject("__metadata__");
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (Entry e : entries) {
      ObjectNode t = header.putObject(e.name());
      t.put("dtype", e.dtype().name());
      var shape = t.putArray("shape");
      for (long d : e.shape()) {
        shape.add(d);
      }
      var offs = t.putArray("data_offsets");
      offs.add(offset);
      offs.add(offset + e.bytes());
      offset += e.bytes();
    }
    byte[] h = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
    int padded = (h.length + 7) / 8 * 8;
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(h);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      head.flip();
      while (head.hasRemaining()) {
        ch.write(head);
      }
      for (Entry e : entries) {
        if (e.bytes() > Integer.MAX_VALUE - 8) {
          throw new IOException("tensor " + e.name() + " is too large to write in one piece");
        }
        ByteBuffer buf = ByteBuffer.allocateDirect((int) e.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        e.content().write(buf);
        if (buf.position() != e.bytes()) {
          throw new IOException("tensor " + e.name() + ": content wrote " + buf.position() + " of " + e.bytes() + " bytes");
        }
        buf.flip();
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
      }
    }
  }
}
