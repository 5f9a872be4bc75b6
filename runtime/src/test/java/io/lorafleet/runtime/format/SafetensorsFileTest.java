package io.lorafleet.runtime.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.errors.ModelFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {
  @TempDir
  Path dir;

  /** Writes a safetensors file with the given header JSON and {@code dataBytes} bytes of data. */
  static Path write(Path file, String header, byte[] data) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    buf.putLong(h.length).put(h).put(data);
    Files.write(file, buf.array());
    return file;
  }

  private ModelFormatException fails(String header, int dataBytes) throws IOException {
    Path f = write(dir.resolve("x.safetensors"), header, new byte[dataBytes]);
    return assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(f).close());
  }

  @Test
  void readsEveryDtypeExactly() throws IOException {
    ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    data.putShort((short) 0x3fc0); // bf16 1.5
    data.putShort((short) 0xc000); // bf16 -2
    data.putShort(Float.floatToFloat16(0.25f));
    data.putShort(Float.floatToFloat16(-3f));
    data.putFloat(1.0e-3f);
    data.putFloat(7f);
    Path f = write(dir.resolve("ok.safetensors"), """
        {"__metadata__":{"format":"pt"},
         "a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},
         "b":{"dtype":"F16","shape":[1,2],"data_offsets":[4,8]},
         "c":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", data.array());
    try (SafetensorsFile st = SafetensorsFile.open(f)) {
      assertEquals("pt", st.metadata().get("format"));
      assertArrayEquals(new float[] {1.5f, -2f}, st.tensors().get("a").toFloatArray());
      assertArrayEquals(new float[] {0.25f, -3f}, st.tensors().get("b").toFloatArray());
      assertArrayEquals(new float[] {1.0e-3f, 7f}, st.tensors().get("c").toFloatArray());
      assertArrayEquals(new long[] {1, 2}, st.tensors().get("b").shape());
    }
  }

  @Test
  void truncatedFileIsRefused() throws IOException {
    var e = fails("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
    assertTrue(e.getMessage().contains("past the data region"), e.getMessage());
    assertTrue(e.getMessage().contains("x.safetensors"), e.getMessage());
  }

  @Test
  void headerLongerThanTheFileIsRefused() throws IOException {
    Path f = dir.resolve("short.safetensors");
    ByteBuffer buf = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).putLong(0);
    Files.write(f, buf.array());
    var e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(f));
    assertTrue(e.getMessage().contains("runs past the end of the file"), e.getMessage());
  }

  @Test
  void oversizedHeaderIsRefusedWithoutReadingIt() throws IOException {
    Path f = dir.resolve("huge.safetensors");
    ByteBuffer buf = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE).putLong(0);
    Files.write(f, buf.array());
    var e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(f));
    assertTrue(e.getMessage().contains("header length"), e.getMessage());
  }

  @Test
  void tinyFileIsRefused() throws IOException {
    Path f = dir.resolve("tiny.safetensors");
    Files.write(f, new byte[3]);
    var e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(f));
    assertTrue(e.getMessage().contains("too short"), e.getMessage());
  }

  @Test
  void malformedHeaderJsonIsRefused() throws IOException {
    var e = fails("{\"a\": [1,", 0);
    assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
  }

  @Test
  void sizeMismatchBetweenShapeAndOffsetsIsRefused() throws IOException {
    var e = fails("{\"a\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,4]}}", 4);
    assertTrue(e.getMessage().contains("needs 6 bytes but data_offsets cover 4"), e.getMessage());
  }

  @Test
  void unorderedOrNegativeOffsetsAreRefused() throws IOException {
    assertTrue(fails("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8).getMessage()
        .contains("not ordered"));
    assertTrue(fails("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 8).getMessage()
        .contains("not ordered"));
  }

  @Test
  void overflowingShapeIsRefused() throws IOException {
    var e = fails("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,4]}}", 4);
    assertTrue(e.getMessage().contains("overflows"), e.getMessage());
  }

  @Test
  void unsupportedDtypeIsNamed() throws IOException {
    var e = fails("{\"a\":{\"dtype\":\"I8\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4);
    assertTrue(e.getMessage().contains("unsupported dtype 'I8'"), e.getMessage());
  }

  @Test
  void missingFileIsNamed() {
    Path f = dir.resolve("nope.safetensors");
    var e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(f));
    assertTrue(e.getMessage().contains("nope.safetensors: file not found"), e.getMessage());
  }

  /** A header of {@code n} distinct zero-size tensors (an adapter's file with too many entries). */
  static String manyTensors(int n) {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < n; i++) {
      sb.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}");
    }
    return sb.append('}').toString();
  }

  @Test
  void anAdapterWithMoreTensorsThanTheCapIsRefusedAndOneAtTheCapIsRead() throws IOException {
    Path over = write(dir.resolve("over.safetensors"), manyTensors(SafetensorsFile.MAX_ADAPTER_TENSORS + 1), new byte[0]);
    var e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.openAdapter(over).close());
    assertTrue(e.getMessage().contains("at most " + SafetensorsFile.MAX_ADAPTER_TENSORS + " tensors"), e.getMessage());
    assertTrue(e.getMessage().contains("over.safetensors"), e.getMessage());
    Path at = write(dir.resolve("at.safetensors"), manyTensors(SafetensorsFile.MAX_ADAPTER_TENSORS), new byte[0]);
    try (SafetensorsFile st = SafetensorsFile.openAdapter(at)) {
      assertEquals(SafetensorsFile.MAX_ADAPTER_TENSORS, st.tensors().size());
    }
    // The model's own files have no tensor cap.
    try (SafetensorsFile st = SafetensorsFile.open(over)) {
      assertEquals(SafetensorsFile.MAX_ADAPTER_TENSORS + 1, st.tensors().size());
    }
  }

  @Test
  void aHeaderFullOfTinyEntriesIsRefusedBeforeATreeIsBuiltForIt() throws IOException {
    // Just under the 4 MiB adapter header cap: ~600k empty entries, which as a JSON tree cost ~100 MB.
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; sb.length() < SafetensorsFile.MAX_ADAPTER_HEADER_BYTES - 16; i++) {
      sb.append(i == 0 ? "" : ",").append('"').append(Integer.toString(i, 36)).append("\":0");
    }
    Path f = write(dir.resolve("tiny-entries.safetensors"), sb.append('}').toString(), new byte[0]);
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    var e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.openAdapter(f).close());
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertTrue(e.getMessage().contains("tensors are accepted"), e.getMessage());
    // The header's bytes once or twice (read, decoded), not a node per entry.
    assertTrue(allocated < 8 * SafetensorsFile.MAX_ADAPTER_HEADER_BYTES, "allocated " + allocated + " bytes");
  }
}
