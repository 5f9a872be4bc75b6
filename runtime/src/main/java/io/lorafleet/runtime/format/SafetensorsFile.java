package io.lorafleet.runtime.format;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafleet.runtime.errors.ModelFormatException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One safetensors file, memory-mapped with the FFM API. The header is parsed once and every size and
 * offset it declares is checked against the file before any tensor is exposed: nothing read from the
 * file is trusted.
 *
 * <p>Layout: 8-byte little-endian header length N, N bytes of JSON ({@code name -> {dtype, shape,
 * data_offsets:[begin,end]}} plus optional {@code __metadata__}), then the data region; offsets are
 * relative to the data region.
 */
public final class SafetensorsFile implements AutoCloseable {
  /** Largest header we accept (the format's reference implementation uses 100 MB). */
  public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path path;
  private final Arena arena;
  private final Map<String, TensorView> tensors;
  private final Map<String, String> metadata;

  private SafetensorsFile(Path path, Arena arena, Map<String, TensorView> tensors, Map<String, String> metadata) {
    this.path = path;
    this.arena = arena;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  /** Largest header of an adapter's file (adapter files come from callers). */
  public static final long MAX_ADAPTER_HEADER_BYTES = 4L * 1024 * 1024;
  /** Most tensors in an adapter's file. */
  public static final int MAX_ADAPTER_TENSORS = 8192;

  /** Maps {@code path} read-only and validates its header. */
  public static SafetensorsFile open(Path path) {
    return open(path, MAX_HEADER_BYTES, Integer.MAX_VALUE, false);
  }

  /**
   * An adapter's weights: like {@link #open(Path)}, but the header may have at most {@link
   * #MAX_ADAPTER_HEADER_BYTES} and {@link #MAX_ADAPTER_TENSORS} tensors, and the file must be a regular file
   * opened without following a symbolic link.
   */
  public static SafetensorsFile openAdapter(Path path) {
    return open(path, MAX_ADAPTER_HEADER_BYTES, MAX_ADAPTER_TENSORS, true);
  }

  private static SafetensorsFile open(Path path, long maxHeader, int maxTensors, boolean regularFileOnly) {
    if (regularFileOnly && Files.exists(path, LinkOption.NOFOLLOW_LINKS)
        && !Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
      throw new ModelFormatException(path.getFileName() + ": must be a regular file (symbolic links are refused)");
    }
    Arena arena = Arena.ofShared();
    try {
      MemorySegment file;
      try (FileChannel ch = regularFileOnly
          ? FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)
          : FileChannel.open(path, StandardOpenOption.READ)) {
        file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
      } catch (NoSuchFileException e) {
        throw new ModelFormatException(path + ": file not found");
      } catch (IOException e) {
        throw new ModelFormatException(path + ": cannot read: " + e.getMessage(), e);
      }
      SafetensorsFile st = parse(path, arena, file, maxHeader, maxTensors);
      return st;
    } catch (RuntimeException e) {
      arena.close();
      throw e;
    }
  }

  private static SafetensorsFile parse(Path path, Arena arena, MemorySegment file, long maxHeader, int maxTensors) {
    long size = file.byteSize();
    if (size < 8) {
      throw bad(path, "file is " + size + " bytes, too short for a safetensors header");
    }
    long headerLen = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
    if (headerLen < 2 || headerLen > maxHeader) {
      throw bad(path, "header length " + Long.toUnsignedString(headerLen) + " is outside [2, " + maxHeader + "]");
    }
    if (8 + headerLen > size) {
      throw bad(path, "header length " + headerLen + " runs past the end of the file (" + size + " bytes): truncated file?");
    }
    byte[] headerBytes = file.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
    JsonNode header;
    try {
      if (maxTensors < Integer.MAX_VALUE) {
        // Counted on the token stream before any tree is built: a header of a few MiB with hundreds of
        // thousands of tiny entries would otherwise cost a hundred times its size in nodes.
        checkEntryCount(path, headerBytes, maxTensors);
      }
      header = JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8).strip());
    } catch (JsonProcessingException e) {
      throw bad(path, "header is not valid JSON (line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr() + ")");
    } catch (IOException e) {
      throw bad(path, "header cannot be read: " + e.getClass().getSimpleName());
    }
    if (header == null || !header.isObject()) {
      throw bad(path, "header is not a JSON object");
    }
    int tensorCount = header.size() - (header.has("__metadata__") ? 1 : 0);
    if (tensorCount > maxTensors) {
      throw bad(path, "header lists " + tensorCount + " tensors; at most " + maxTensors + " tensors are accepted");
    }
    long dataStart = 8 + headerLen;
    long dataSize = size - dataStart;
    MemorySegment data = file.asSlice(dataStart, dataSize);
    Map<String, TensorView> tensors = new LinkedHashMap<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = e.getKey();
      JsonNode info = e.getValue();
      if (name.equals("__metadata__")) {
        if (info.isObject()) {
          info.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
        }
        continue;
      }
      tensors.put(name, tensor(path, name, info, data, dataSize));
    }
    return new SafetensorsFile(path, arena, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
  }

  /** Refuses a header with more than {@code maxTensors} tensor entries (plus {@code __metadata__}). */
  private static void checkEntryCount(Path path, byte[] headerBytes, int maxTensors) throws IOException {
    try (JsonParser p = JSON.getFactory().createParser(headerBytes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return; // not an object: the tree parse below says so
      }
      long tensors = 0;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        if (!p.currentName().equals("__metadata__") && ++tensors > maxTensors) {
          throw bad(path, "header lists more than " + maxTensors + " tensors; at most " + maxTensors
              + " tensors are accepted");
        }
        p.nextToken();
        p.skipChildren();
      }
    }
  }

  private static TensorView tensor(Path path, String name, JsonNode info, MemorySegment data, long dataSize) {
    if (!info.isObject()) {
      throw bad(path, "tensor " + name + ": entry is not an object");
    }
    String dtypeName = info.path("dtype").asText("");
    DType dtype = DType.fromSafetensors(dtypeName)
        .orElseThrow(() -> bad(path, "tensor " + name + ": unsupported dtype '" + dtypeName + "' (supported: BF16, F16, F32)"));
    JsonNode shapeNode = info.get("shape");
    if (shapeNode == null || !shapeNode.isArray() || shapeNode.size() > 8) {
      throw bad(path, "tensor " + name + ": missing or invalid shape");
    }
    long[] shape = new long[shapeNode.size()];
    long elements = 1;
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = shapeNode.get(i);
      if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
        throw bad(path, "tensor " + name + ": invalid dimension " + d);
      }
      shape[i] = d.asLong();
      try {
        elements = Math.multiplyExact(elements, shape[i]);
      } catch (ArithmeticException ex) {
        throw bad(path, "tensor " + name + ": shape " + shapeNode + " overflows");
      }
    }
    JsonNode offs = info.get("data_offsets");
    if (offs == null || !offs.isArray() || offs.size() != 2
        || !offs.get(0).isIntegralNumber() || !offs.get(1).isIntegralNumber()) {
      throw bad(path, "tensor " + name + ": missing or invalid data_offsets");
    }
    long begin = offs.get(0).asLong();
    long end = offs.get(1).asLong();
    if (begin < 0 || end < begin) {
      throw bad(path, "tensor " + name + ": data_offsets [" + begin + ", " + end + "] are not ordered");
    }
    if (end > dataSize) {
      throw bad(path, "tensor " + name + ": data_offsets end " + end + " is past the data region ("
          + dataSize + " bytes): truncated file?");
    }
    long expected;
    try {
      expected = Math.multiplyExact(elements, dtype.bytes());
    } catch (ArithmeticException ex) {
      throw bad(path, "tensor " + name + ": size overflows");
    }
    if (end - begin != expected) {
      throw bad(path, "tensor " + name + ": shape " + shapeNode + " of " + dtypeName + " needs " + expected
          + " bytes but data_offsets cover " + (end - begin));
    }
    return new TensorView(name, dtype, shape, data.asSlice(begin, end - begin));
  }

  private static ModelFormatException bad(Path path, String problem) {
    return new ModelFormatException(path + ": " + problem);
  }

  public Path path() {
    return path;
  }

  public Map<String, TensorView> tensors() {
    return tensors;
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  @Override
  public void close() {
    arena.close();
  }
}
