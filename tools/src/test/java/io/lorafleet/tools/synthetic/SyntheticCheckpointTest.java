package io.lorafleet.tools.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafleet.runtime.format.DType;
import io.lorafleet.runtime.format.SafetensorsFile;
import io.lorafleet.runtime.format.TensorView;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.model.LoraTarget;
import io.lorafleet.runtime.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticCheckpointTest {
  private static final CheckpointShape SHAPE = CheckpointShape.TINY;

  @TempDir
  static Path cache;

  private static SyntheticCheckpoint checkpoint;

  @BeforeAll
  static void generate() throws IOException {
    checkpoint = SyntheticCheckpoint.ensure(SHAPE, 2, cache);
  }

  @Test
  void modelLoadsWithTheConfiguredShape() {
    try (LlamaModel model = LlamaModel.load(checkpoint.modelDir())) {
      var c = model.config();
      assertEquals(SHAPE.numLayers(), c.numLayers());
      assertEquals(SHAPE.hiddenSize(), c.hiddenSize());
      assertEquals(SHAPE.intermediateSize(), c.intermediateSize());
      assertEquals(SHAPE.numHeads(), c.numHeads());
      assertEquals(SHAPE.numKvHeads(), c.numKvHeads());
      assertEquals(SHAPE.headDim(), c.headDim());
      assertEquals(SHAPE.vocabSize(), c.vocabSize());
      assertFalse(c.tieWordEmbeddings());
      assertEquals(Set.of(SyntheticTokenizer.EOS_ID), model.eosTokenIds());
      assertEquals(DType.BF16, model.weights().lmHead().dtype());
      long matrices = 2L * SHAPE.vocabSize() * SHAPE.hiddenSize() * 2;
      assertTrue(model.weights().bytesReadPerStep() > matrices / 2);
      float[] norm = model.weights().finalNorm();
      for (float v : norm) {
        assertEquals(1f, v);
      }
    }
  }

  @Test
  void adaptersLoadAndValidateAgainstTheModel() {
    try (LlamaModel model = LlamaModel.load(checkpoint.modelDir())) {
      assertEquals(2, checkpoint.adapterDirs().size());
      for (Path dir : checkpoint.adapterDirs()) {
        LoraAdapter a = LoraAdapter.load(dir.getFileName().toString(), dir, model.config(), 0);
        assertEquals(SHAPE.numLayers(), a.numLayers());
        assertEquals(SyntheticCheckpoint.ADAPTER_RANK, a.maxRank());
        for (int l = 0; l < a.numLayers(); l++) {
          assertEquals(Set.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.O), a.layer(l).keySet());
          var q = a.layer(l).get(LoraTarget.Q);
          assertEquals((float) SyntheticCheckpoint.ADAPTER_ALPHA / SyntheticCheckpoint.ADAPTER_RANK, q.scaling());
          boolean nonZero = false;
          for (float v : q.b()) {
            nonZero |= v != 0;
            assertTrue(Math.abs(v) < 1);
          }
          assertTrue(nonZero, "lora_B must not be zero");
        }
      }
    }
  }

  @Test
  void adaptersDiffer() throws IOException {
    Path a = checkpoint.adapterDirs().get(0).resolve(LoraAdapter.WEIGHTS_FILE);
    Path b = checkpoint.adapterDirs().get(1).resolve(LoraAdapter.WEIGHTS_FILE);
    assertEquals(Files.size(a), Files.size(b));
    assertTrue(Files.mismatch(a, b) >= 0);
  }

  @Test
  void tokenizerLoadsAndRoundTrips() {
    try (HfTokenizer tok = HfTokenizer.load(checkpoint.modelDir())) {
      assertEquals(SHAPE.vocabSize(), tok.vocabSize());
      assertEquals(SyntheticTokenizer.BOS_ID, tok.bosTokenId().orElseThrow());
      assertTrue(tok.eosTokenIds().contains(SyntheticTokenizer.EOS_ID));
      assertTrue(tok.isSpecial(SyntheticTokenizer.BOS_ID));
      assertFalse(tok.isSpecial(3));
      assertArrayEquals(new int[] {1, 5, 6, 31999}, tok.encode("t5 t6 t31999", true));
      assertArrayEquals(new int[] {3, 1234}, tok.encode("t3  t1234", false));
      int[] ids = {3, 17, 4096, 31999};
      assertEquals("t3 t17 t4096 t31999", tok.decode(ids, true));
      assertArrayEquals(ids, tok.encode(tok.decode(ids, true), false));
      assertEquals("t9", tok.decode(new int[] {SyntheticTokenizer.BOS_ID, 9, SyntheticTokenizer.EOS_ID}, true));
      assertEquals("t31999", tok.tokenText(31999));
      assertArrayEquals(new int[] {1, SyntheticTokenizer.UNK_ID}, tok.encode("hello", true));
    }
  }

  @Test
  void safetensorsHeaderIsWellFormed() throws IOException {
    Path file = checkpoint.modelDir().resolve("model.safetensors");
    long size = Files.size(file);
    byte[] header;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(len, 0);
      long n = len.flip().getLong();
      assertEquals(0, n % 8, "header length must be a multiple of 8");
      assertTrue(n > 2 && n < size);
      ByteBuffer h = ByteBuffer.allocate((int) n);
      ch.read(h, 8);
      header = h.array();
    }
    String text = new String(header, StandardCharsets.UTF_8);
    int end = text.lastIndexOf('}');
    assertTrue(text.substring(end + 1).chars().allMatch(c -> c == ' '), "padding must be spaces");
    JsonNode json = new ObjectMapper().readTree(text);
    assertEquals("pt", json.path("__metadata__").path("format").asText());
    List<String> names = new ArrayList<>();
    long offset = 0;
    for (var e : json.properties()) {
      if (e.getKey().equals("__metadata__")) {
        continue;
      }
      names.add(e.getKey());
      JsonNode t = e.getValue();
      assertEquals("BF16", t.path("dtype").asText());
      long elements = 1;
      for (JsonNode d : t.path("shape")) {
        elements *= d.asLong();
      }
      assertEquals(offset, t.path("data_offsets").get(0).asLong(), e.getKey() + " must follow the previous tensor");
      offset = t.path("data_offsets").get(1).asLong();
      assertEquals(elements * 2, offset - t.path("data_offsets").get(0).asLong());
    }
    assertEquals(size, 8 + header.length + offset, "the data region must end at the end of the file");
    assertEquals(SHAPE.modelTensors().stream().map(TensorSpec::name).toList(), names);
    assertEquals(size, SafetensorsGenerator.fileSize(SHAPE.modelTensors(), Map.of("format", "pt")));
  }

  @Test
  void weightsAreSmallFiniteAndRandom() {
    try (SafetensorsFile st = SafetensorsFile.open(checkpoint.modelDir().resolve("model.safetensors"))) {
      TensorView q = st.tensors().get("model.layers.1.self_attn.q_proj.weight");
      float[] v = q.toFloatArray();
      double sum = 0;
      double sq = 0;
      for (float x : v) {
        assertTrue(Float.isFinite(x));
        sum += x;
        sq += x * x;
      }
      double mean = sum / v.length;
      double std = Math.sqrt(sq / v.length - mean * mean);
      assertEquals(0, mean, 1e-3);
      assertEquals(CheckpointShape.WEIGHT_STD, std, 2e-3);
    }
  }

  @Test
  void generatedBytesDoNotDependOnThreads(@TempDir Path dir) throws IOException {
    List<TensorSpec> specs = List.of(
        new TensorSpec("a", DType.BF16, new long[] {3, 1_000_003}, new TensorFill.Normal(0.5f)),
        new TensorSpec("b", DType.F32, new long[] {7}, new TensorFill.Normal(0.1f)),
        new TensorSpec("c", DType.BF16, new long[] {5}, new TensorFill.Constant(1f)),
        new TensorSpec("d", DType.F32, new long[] {2, 2_000_001}, new TensorFill.Normal(2f)));
    Path one = dir.resolve("one.safetensors");
    Path four = dir.resolve("four.safetensors");
    SafetensorsGenerator.write(one, specs, Map.of(), 7, 1, n -> {});
    SafetensorsGenerator.write(four, specs, Map.of(), 7, 4, n -> {});
    assertEquals(-1, Files.mismatch(one, four));
    try (SafetensorsFile st = SafetensorsFile.open(one)) {
      assertEquals(1f, st.tensors().get("c").getFloat(4));
      assertEquals(3_000_009, st.tensors().get("a").elementCount());
    }
  }

  @Test
  void completeDirectoriesAreReusedAndIncompleteOnesRedone(@TempDir Path root) throws IOException {
    SyntheticCheckpoint first = SyntheticCheckpoint.ensure(SHAPE, 1, root);
    Path model = first.modelDir();
    Path adapter = first.adapterDirs().getFirst();
    Path weights = model.resolve("model.safetensors");
    long size = Files.size(weights);
    // A file the generator did not write survives only as long as the directory is reused.
    Files.writeString(model.resolve("sentinel"), "x");
    Files.writeString(adapter.resolve("sentinel"), "x");

    SyntheticCheckpoint again = SyntheticCheckpoint.ensure(SHAPE, 1, root);
    assertEquals(first, again);
    assertTrue(Files.exists(model.resolve("sentinel")), "a complete model directory must be reused");
    assertTrue(Files.exists(adapter.resolve("sentinel")), "a complete adapter directory must be reused");

    // Interrupted write: no marker, a short file.
    Files.delete(model.resolve(CompletionMarker.FILE));
    try (FileChannel ch = FileChannel.open(weights, StandardOpenOption.WRITE)) {
      ch.truncate(size / 3);
    }
    SyntheticCheckpoint.ensure(SHAPE, 1, root);
    assertFalse(Files.exists(model.resolve("sentinel")), "an incomplete model directory must be redone");
    assertEquals(size, Files.size(weights));
    assertTrue(CompletionMarker.isComplete(model, SyntheticCheckpoint.modelFingerprint(SHAPE)));
    assertTrue(Files.exists(adapter.resolve("sentinel")), "the complete adapter must still be reused");

    // A file truncated after the marker was written is caught by the recorded sizes.
    try (FileChannel ch = FileChannel.open(adapter.resolve(LoraAdapter.WEIGHTS_FILE), StandardOpenOption.WRITE)) {
      ch.truncate(100);
    }
    Files.writeString(model.resolve("sentinel"), "x");
    SyntheticCheckpoint more = SyntheticCheckpoint.ensure(SHAPE, 2, root);
    assertEquals(2, more.adapterDirs().size());
    assertFalse(Files.exists(adapter.resolve("sentinel")), "a truncated adapter must be redone");
    assertTrue(Files.exists(model.resolve("sentinel")));
    try (LlamaModel m = LlamaModel.load(model)) {
      for (Path dir : more.adapterDirs()) {
        LoraAdapter.load("a", dir, m.config(), 0);
      }
    }
  }

  @Test
  void markerRejectsAnotherFingerprint(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("f"), "abc");
    CompletionMarker.write(dir, "one");
    assertTrue(CompletionMarker.isComplete(dir, "one"));
    assertFalse(CompletionMarker.isComplete(dir, "two"));
    Files.writeString(dir.resolve("f"), "abcd");
    assertFalse(CompletionMarker.isComplete(dir, "one"));
  }

  @Test
  void bf16AdaptersHaveTheirOwnDirectoryAndLoad() throws IOException {
    SyntheticCheckpoint bf16 = SyntheticCheckpoint.ensure(SHAPE, 2, DType.BF16, cache);
    assertEquals(checkpoint.modelDir(), bf16.modelDir());
    assertEquals("adapters-bf16", bf16.adapterDirs().getFirst().getParent().getFileName().toString());
    Path weights = bf16.adapterDirs().getFirst().resolve(LoraAdapter.WEIGHTS_FILE);
    try (SafetensorsFile st = SafetensorsFile.open(weights)) {
      for (TensorView t : st.tensors().values()) {
        assertEquals(DType.BF16, t.dtype(), t.name());
      }
    }
    assertEquals(Files.size(checkpoint.adapterDirs().getFirst().resolve(LoraAdapter.WEIGHTS_FILE)) / 2,
        Files.size(weights), 4096.0, "BF16 tensors take half the bytes (headers aside)");
    try (LlamaModel model = LlamaModel.load(bf16.modelDir())) {
      LoraAdapter a = LoraAdapter.load("bf16", bf16.adapterDirs().get(1), model.config(), 0);
      assertEquals(SyntheticCheckpoint.ADAPTER_RANK, a.maxRank());
    }
    assertTrue(Files.isDirectory(checkpoint.adapterDirs().getFirst()), "the F32 adapters stay where they were");
  }
}
