package io.lorafleet.runtime.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.errors.ModelFormatException;
import io.lorafleet.runtime.format.SafetensorsFile;
import io.lorafleet.runtime.format.SafetensorsWriter;
import io.lorafleet.runtime.format.TensorView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaModelTest {
  private static final String WEIGHTS = "model.safetensors";

  @TempDir
  Path tmp;

  private String loadFails(Path dir) {
    return assertThrows(ModelFormatException.class, () -> LlamaModel.load(dir).close()).getMessage();
  }

  @Test
  void loadsTheFixtureWithViewsNotCopies() {
    try (LlamaModel m = LlamaModel.load(Fixtures.model())) {
      assertEquals(4, m.weights().layers().size());
      assertEquals(128, m.weights().embed().cols());
      assertTrue(m.weights().embed().data().isMapped(), "weights are memory-mapped views");
      assertEquals(java.util.Set.of(1001, 1004), m.eosTokenIds());
    }
  }

  @Test
  void missingTensorIsNamed() throws IOException {
    Path dst = tmp.resolve("m");
    CheckpointCopies.copyOthers(Fixtures.model(), dst, WEIGHTS);
    CheckpointCopies.rewrite(Fixtures.model(), dst, WEIGHTS,
        t -> !t.name().equals("model.layers.2.mlp.up_proj.weight"), Map.of());
    assertTrue(loadFails(dst).contains("missing tensor model.layers.2.mlp.up_proj.weight"));
  }

  @Test
  void extraTensorIsNamed() throws IOException {
    Path dst = tmp.resolve("m");
    CheckpointCopies.copyOthers(Fixtures.model(), dst, WEIGHTS);
    CheckpointCopies.rewrite(Fixtures.model(), dst, WEIGHTS, t -> true,
        Map.of("model.layers.9.self_attn.q_proj.bias", new float[4]));
    String msg = loadFails(dst);
    assertTrue(msg.contains("unexpected tensors") && msg.contains("model.layers.9.self_attn.q_proj.bias"), msg);
  }

  @Test
  void shapeMismatchWithConfigIsNamed() throws IOException {
    Path dst = tmp.resolve("m");
    CheckpointCopies.copyOthers(Fixtures.model(), dst, WEIGHTS);
    // config says 5 layers' worth of intermediate size 352; claim 400 instead.
    ObjectNode cfg = (ObjectNode) new ObjectMapper().readTree(Fixtures.model().resolve("config.json").toFile());
    cfg.put("intermediate_size", 400);
    Files.writeString(dst.resolve("config.json"), cfg.toString());
    Files.copy(Fixtures.model().resolve(WEIGHTS), dst.resolve(WEIGHTS));
    String msg = loadFails(dst);
    assertTrue(msg.contains("has shape [352, 128], config.json implies [400, 128]"), msg);
  }

  @Test
  void truncatedWeightsAreRefused() throws IOException {
    Path dst = tmp.resolve("m");
    CheckpointCopies.copyOthers(Fixtures.model(), dst, WEIGHTS);
    byte[] all = Files.readAllBytes(Fixtures.model().resolve(WEIGHTS));
    Files.write(dst.resolve(WEIGHTS), java.util.Arrays.copyOf(all, all.length - 1000));
    assertTrue(loadFails(dst).contains("truncated file?"));
  }

  @Test
  void picklesAreRefused() throws IOException {
    Path dst = tmp.resolve("m");
    CheckpointCopies.copyOthers(Fixtures.model(), dst, WEIGHTS);
    Files.write(dst.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
    assertTrue(loadFails(dst).contains("pickles can run code"));
  }

  @Test
  void missingDirectoryIsNamed() {
    assertTrue(loadFails(tmp.resolve("nowhere")).contains("model directory not found"));
  }

  @Test
  void shardedCheckpointLoadsTheSameTensors() throws IOException {
    Path dst = tmp.resolve("sharded");
    CheckpointCopies.copyOthers(Fixtures.model(), dst, WEIGHTS);
    ObjectNode index = new ObjectMapper().createObjectNode();
    ObjectNode map = index.putObject("weight_map");
    try (SafetensorsFile in = SafetensorsFile.open(Fixtures.model().resolve(WEIGHTS));
        SafetensorsWriter a = new SafetensorsWriter(dst.resolve("model-00001-of-00002.safetensors"), Map.of());
        SafetensorsWriter b = new SafetensorsWriter(dst.resolve("model-00002-of-00002.safetensors"), Map.of())) {
      int i = 0;
      for (TensorView t : in.tensors().values()) {
        boolean first = i++ % 2 == 0;
        (first ? a : b).add(t.name(), t.dtype(), t.shape(), buf -> buf.put(t.data().asByteBuffer()));
        map.put(t.name(), first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
      }
    }
    Files.writeString(dst.resolve("model.safetensors.index.json"), index.toString());
    try (LlamaModel sharded = LlamaModel.load(dst); LlamaModel single = LlamaModel.load(Fixtures.model())) {
      for (int l = 0; l < 4; l++) {
        assertArrayEquals(single.weights().layers().get(l).attnNorm(), sharded.weights().layers().get(l).attnNorm());
        assertEquals(single.weights().layers().get(l).down().data().mismatch(
            sharded.weights().layers().get(l).down().data()), -1L);
      }
    }
    // A shard name that escapes the directory is refused.
    map.put("lm_head.weight", "../model-00002-of-00002.safetensors");
    Files.writeString(dst.resolve("model.safetensors.index.json"), index.toString());
    assertTrue(loadFails(dst).contains("must be a .safetensors file in"));
  }
}
