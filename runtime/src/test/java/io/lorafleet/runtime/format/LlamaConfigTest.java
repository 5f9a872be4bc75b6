package io.lorafleet.runtime.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.errors.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaConfigTest {
  @TempDir
  Path dir;

  private static final String BASE = """
      "architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 128,
      "num_hidden_layers": 2, "num_attention_heads": 8, "vocab_size": 100""";

  private LlamaConfig load(String json) throws IOException {
    Files.writeString(dir.resolve("config.json"), json);
    return LlamaConfig.load(dir);
  }

  private String fails(String json) throws IOException {
    Files.writeString(dir.resolve("config.json"), json);
    return assertThrows(ModelFormatException.class, () -> LlamaConfig.load(dir)).getMessage();
  }

  @Test
  void defaultsFollowTransformers() throws IOException {
    LlamaConfig c = load("{" + BASE + "}");
    assertEquals(8, c.numKvHeads(), "kv heads default to heads");
    assertEquals(8, c.headDim(), "head_dim defaults to hidden / heads");
    assertEquals(10000.0, c.ropeTheta());
    assertEquals("default", c.ropeScaling().type());
    assertEquals(false, c.tieWordEmbeddings());
  }

  @Test
  void gqaHeadDimEosListAndLlama3Scaling() throws IOException {
    LlamaConfig c = load("{" + BASE + """
        , "num_key_value_heads": 2, "head_dim": 16, "eos_token_id": [7, 9], "tie_word_embeddings": true,
        "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 8192}}""");
    assertEquals(4, c.groupSize());
    assertEquals(128, c.queryDim());
    assertEquals(32, c.kvDim());
    assertEquals(List.of(7, 9), c.eosTokenIds());
    assertEquals("llama3", c.ropeScaling().type());
    assertTrue(c.tieWordEmbeddings());
  }

  @Test
  void linearScalingAcceptsTheOldTypeKey() throws IOException {
    LlamaConfig c = load("{" + BASE + ", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 4.0}}");
    assertEquals("linear", c.ropeScaling().type());
    assertEquals(4.0, c.ropeScaling().factor());
  }

  @Test
  void transformers5RopeParametersGiveThetaAndScaling() throws IOException {
    LlamaConfig c = load("{" + BASE + ", \"rope_parameters\": {\"rope_theta\": 500000.0, \"rope_type\": \"default\"}}");
    assertEquals(500000.0, c.ropeTheta());
    assertEquals("default", c.ropeScaling().type());
    c = load("{" + BASE + """
        , "rope_parameters": {"rope_theta": 500000.0, "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                              "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}""");
    assertEquals(500000.0, c.ropeTheta());
    assertEquals("llama3", c.ropeScaling().type());
    assertTrue(fails("{" + BASE + ", \"rope_parameters\": {\"rope_theta\": 1e4, \"rope_type\": \"yarn\"}}")
        .contains("rope_parameters: unsupported type \"yarn\""));
  }

  @Test
  void unsupportedArchitectureIsNamed() throws IOException {
    String msg = fails(BASE.replace("LlamaForCausalLM", "GPT2LMHeadModel").transform(s -> "{" + s + "}"));
    assertTrue(msg.contains("unsupported architecture [GPT2LMHeadModel]"), msg);
    assertTrue(msg.contains("config.json"), msg);
  }

  @Test
  void badValuesAreNamed() throws IOException {
    assertTrue(fails("{" + BASE + ", \"num_key_value_heads\": 3}").contains("multiple of num_key_value_heads"));
    assertTrue(fails("{" + BASE.replace("\"hidden_size\": 64", "\"hidden_size\": -1") + "}").contains("hidden_size"));
    assertTrue(fails("{" + BASE.replace("\"vocab_size\": 100", "\"vocab_size\": \"big\"") + "}")
        .contains("\"vocab_size\" must be an integer"));
    assertTrue(fails("{" + BASE + ", \"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 2}}")
        .contains("rope_scaling: unsupported type \"dynamic\""));
    assertTrue(fails("{" + BASE + ", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8}}")
        .contains("rope_scaling: llama3 needs"));
    assertTrue(fails("{" + BASE + ", \"hidden_act\": \"gelu\"}").contains("hidden_act"));
    assertTrue(fails("{" + BASE + ", \"eos_token_id\": 100}").contains("outside the vocabulary"));
  }

  @Test
  void missingAndBrokenFilesAreNamed() throws IOException {
    String msg = assertThrows(ModelFormatException.class, () -> LlamaConfig.load(dir)).getMessage();
    assertTrue(msg.endsWith("config.json: file not found"), msg);
    assertTrue(fails("{\"hidden_size\": ").contains("not valid JSON"));
    assertTrue(fails("{" + BASE.replace("\"num_hidden_layers\": 2,", "") + "}")
        .contains("missing required field \"num_hidden_layers\""));
  }
}
