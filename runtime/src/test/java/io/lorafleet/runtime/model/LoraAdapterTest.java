package io.lorafleet.runtime.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.errors.AdapterIncompatibleException;
import io.lorafleet.runtime.errors.LoraFleetException;
import io.lorafleet.runtime.errors.ModelFormatException;
import io.lorafleet.runtime.format.LlamaConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraAdapterTest {
  private static final String WEIGHTS = LoraAdapter.WEIGHTS_FILE;
  private static final LlamaConfig BASE = LlamaConfig.load(Fixtures.model());

  @TempDir
  Path tmp;

  private int copies;

  private Path copy(String adapter, Consumer<ObjectNode> editConfig) throws IOException {
    Path dst = tmp.resolve(adapter + "-" + copies++);
    CheckpointCopies.copyOthers(Fixtures.adapter(adapter), dst, WEIGHTS);
    Files.copy(Fixtures.adapter(adapter).resolve(WEIGHTS), dst.resolve(WEIGHTS));
    ObjectNode cfg = (ObjectNode) new ObjectMapper().readTree(dst.resolve("adapter_config.json").toFile());
    editConfig.accept(cfg);
    Files.writeString(dst.resolve("adapter_config.json"), cfg.toString());
    return dst;
  }

  private <E extends LoraFleetException> String fails(Class<E> type, Path dir, int rankLimit) {
    return assertThrows(type, () -> LoraAdapter.load("x", dir, BASE, rankLimit)).getMessage();
  }

  @Test
  void everyFixtureAdapterLoadsWithItsScaling() {
    for (String name : Fixtures.adapterNames()) {
      LoraAdapter a = LoraAdapter.load(name, Fixtures.adapter(name), BASE, 0);
      double expected = Fixtures.reference().get("adapters").get(name).get("scaling").asDouble();
      for (LoraModule m : a.layer(0).values()) {
        assertEquals(expected, m.scaling(), 1e-6, name);
      }
      assertEquals(Fixtures.reference().get("adapters").get(name).get("target_modules").size(), a.layer(3).size(), name);
    }
  }

  @Test
  void rsloraUsesSquareRootOfRank() {
    LoraAdapter a = LoraAdapter.load("r", Fixtures.adapter("adapter-rslora-r16"), BASE, 0);
    assertEquals(8 / Math.sqrt(16), a.layer(1).get(LoraTarget.Q).scaling(), 1e-6);
  }

  @Test
  void layersToTransformRestrictsLayersAndExtraTensorsAreRefused() throws IOException {
    Path dir = copy("adapter-qv-r8", c -> c.putArray("layers_to_transform").add(1));
    String msg = fails(AdapterIncompatibleException.class, dir, 0);
    assertTrue(msg.contains("is for a module adapter_config.json does not target"), msg);
    // With only layer 1's tensors kept, it loads and touches layer 1 alone.
    CheckpointCopies.rewrite(Fixtures.adapter("adapter-qv-r8"), dir, WEIGHTS,
        t -> t.name().contains(".layers.1."), Map.of());
    LoraAdapter a = LoraAdapter.load("x", dir, BASE, 0);
    assertTrue(a.layer(0).isEmpty());
    assertEquals(2, a.layer(1).size());
  }

  @Test
  void alphaPatternAndRankPatternFollowPeft() throws IOException {
    Path dir = copy("adapter-qv-r8", c -> c.putObject("alpha_pattern").put("v_proj", 4));
    LoraAdapter a = LoraAdapter.load("x", dir, BASE, 0);
    assertEquals(2.0, a.layer(0).get(LoraTarget.Q).scaling(), 1e-6);
    assertEquals(0.5, a.layer(0).get(LoraTarget.V).scaling(), 1e-6);
    Path wrongRank = copy("adapter-qv-r8", c -> c.putObject("rank_pattern").put("model.layers.2.self_attn.q_proj", 4));
    String msg = fails(AdapterIncompatibleException.class, wrongRank, 0);
    assertTrue(msg.contains("layers.2.self_attn.q_proj.lora_A.weight has shape [8, 128], expected [4, 128]"), msg);
  }

  @Test
  void regexTargetModules() throws IOException {
    Path dir = copy("adapter-qv-r8", c -> c.put("target_modules", ".*\\.(q|v)_proj"));
    assertEquals(2, LoraAdapter.load("x", dir, BASE, 0).layer(2).size());
  }

  @Test
  void unsupportedPeftFeaturesAreRefusedByName() throws IOException {
    assertTrue(fails(AdapterIncompatibleException.class, copy("adapter-qv-r8", c -> c.put("use_dora", true)), 0)
        .contains("DoRA"));
    assertTrue(fails(AdapterIncompatibleException.class, copy("adapter-qv-r8", c -> c.put("bias", "all")), 0)
        .contains("bias"));
    assertTrue(fails(AdapterIncompatibleException.class,
        copy("adapter-qv-r8", c -> c.putArray("modules_to_save").add("lm_head")), 0).contains("modules_to_save"));
  }

  @Test
  void picklesAreRefused() throws IOException {
    Path dir = copy("adapter-qv-r8", c -> { });
    Files.move(dir.resolve(WEIGHTS), dir.resolve("adapter_model.bin"));
    assertTrue(fails(AdapterIncompatibleException.class, dir, 0).contains("pickled adapter weights are refused"));
  }

  @Test
  void rankAboveTheLimitIsRefused() {
    String msg = fails(AdapterIncompatibleException.class, Fixtures.adapter("adapter-all-r16"), 8);
    assertTrue(msg.contains("rank 16") && msg.contains("above the configured maximum 8"), msg);
  }

  @Test
  void adapterForAnotherModelIsRefused() throws IOException {
    LlamaConfig bigger = new LlamaConfig("LlamaForCausalLM", 256, 352, 4, 4, 2, 64, 1024, 1e-5, 10000,
        io.lorafleet.runtime.format.RopeScaling.NONE, 2048, false, 1000, java.util.List.of(), "bfloat16");
    String msg = assertThrows(AdapterIncompatibleException.class,
        () -> LoraAdapter.load("x", Fixtures.adapter("adapter-qv-r8"), bigger, 0)).getMessage();
    assertTrue(msg.contains("expected [8, 256]"), msg);
    LlamaConfig shallower = new LlamaConfig("LlamaForCausalLM", 128, 352, 2, 4, 2, 32, 1024, 1e-5, 10000,
        io.lorafleet.runtime.format.RopeScaling.NONE, 2048, false, 1000, java.util.List.of(), "bfloat16");
    msg = assertThrows(AdapterIncompatibleException.class,
        () -> LoraAdapter.load("x", Fixtures.adapter("adapter-qv-r8"), shallower, 0)).getMessage();
    assertTrue(msg.contains("the base model has 2 layers"), msg);
  }

  @Test
  void nanValuesAreRefused() throws IOException {
    Path dir = copy("adapter-qkvo-r16", c -> { });
    byte[] bytes = Files.readAllBytes(dir.resolve(WEIGHTS));
    // Overwrite the last float of the (F32) data region with a NaN.
    bytes[bytes.length - 1] = (byte) 0x7f;
    bytes[bytes.length - 2] = (byte) 0xc0;
    Files.write(dir.resolve(WEIGHTS), bytes);
    String msg = fails(AdapterIncompatibleException.class, dir, 0);
    assertTrue(msg.contains("contains NaN"), msg);
  }

  @Test
  void brokenFilesAreNamed() throws IOException {
    Path dir = copy("adapter-qv-r8", c -> { });
    Files.writeString(dir.resolve("adapter_config.json"), "{ not json");
    assertTrue(fails(ModelFormatException.class, dir, 0).contains("adapter_config.json: not valid JSON"));
    Path trunc = copy("adapter-qv-r8", c -> { });
    byte[] all = Files.readAllBytes(trunc.resolve(WEIGHTS));
    Files.write(trunc.resolve(WEIGHTS), java.util.Arrays.copyOf(all, all.length / 2));
    assertTrue(fails(ModelFormatException.class, trunc, 0).contains("truncated file?"));
    assertTrue(fails(ModelFormatException.class, tmp.resolve("none"), 0).contains("adapter directory not found"));
  }

  @Test
  void baseOnlyModulesStayUntouched() {
    LoraAdapter a = LoraAdapter.load("x", Fixtures.adapter("adapter-mlp-r8"), BASE, 0);
    assertNull(a.layer(0).get(LoraTarget.Q));
    assertEquals(3, a.layer(0).size());
  }
}
