package io.lorafleet.runtime.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loading rules of {@link TransformersLoading} on a small SentencePiece-style BPE tokenizer written the
 * legacy way (Prepend ▁ + Replace ' ' → ▁ normalizer); the real tokenizers against transformers are in
 * {@link TransformersParityTest}.
 */
class TransformersLoadingTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LEGACY_SP = """
      {"version": "1.0", "truncation": null, "padding": null,
       "added_tokens": [
         {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
         {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
         {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
       "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
         {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
       "pre_tokenizer": null,
       "post_processor": {"type": "TemplateProcessing",
         "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
         "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
           {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
         "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
       "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
         {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
       "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>", "continuing_subword_prefix": null,
         "end_of_word_suffix": null, "fuse_unk": true, "byte_fallback": true,
         "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "\u2581": 3, "h": 4, "i": 5, "hi": 6, "\u2581hi": 7, "\u2581\u2581": 8},
         "merges": ["h i", "\u2581 hi", "\u2581 \u2581"]}}
      """;

  private static JsonNode config(String json) throws IOException {
    return JSON.readTree(json);
  }

  private static JsonNode apply(String tokenizerConfig) throws IOException {
    return TransformersLoading.apply(JSON.readTree(LEGACY_SP), config(tokenizerConfig), MissingNode.getInstance())
        .tokenizerJson();
  }

  @Test
  void llamaTokenizerReplacesTheLegacyNormalizerByMetaspace() throws IOException {
    JsonNode json = apply("{\"tokenizer_class\": \"LlamaTokenizerFast\"}");
    assertTrue(json.path("normalizer").isNull());
    assertEquals("Metaspace", json.path("pre_tokenizer").path("type").asText());
    assertEquals("first", json.path("pre_tokenizer").path("prepend_scheme").asText(), "legacy defaults to false");
    assertFalse(json.path("pre_tokenizer").path("split").asBoolean(true));
    assertTrue(json.path("model").path("unk_token").isNull());
    assertEquals(4, json.path("decoder").path("decoders").size(), "Strip kept with add_prefix_space");
    assertEquals("always", apply("{\"tokenizer_class\": \"LlamaTokenizer\", \"legacy\": true}")
        .path("pre_tokenizer").path("prepend_scheme").asText());
    JsonNode noPrefix = apply("{\"tokenizer_class\": \"LlamaTokenizer\", \"add_prefix_space\": false, \"legacy\": true}");
    assertEquals("never", noPrefix.path("pre_tokenizer").path("prepend_scheme").asText());
    assertEquals(3, noPrefix.path("decoder").path("decoders").size(), "no Strip without a prefix space");
  }

  @Test
  void genericClassesLoadTheFileAsWritten() throws IOException {
    JsonNode original = JSON.readTree(LEGACY_SP);
    for (String cls : new String[] {"PreTrainedTokenizerFast", "TokenizersBackend", "SomethingUnknown"}) {
      TransformersLoading.Result r = TransformersLoading.apply(original,
          config("{\"tokenizer_class\": \"" + cls + "\", \"add_bos_token\": false}"), MissingNode.getInstance());
      assertSame(original, r.tokenizerJson(), cls);
      assertFalse(r.changed());
      assertNull(r.warning());
    }
    TransformersLoading.Result t5 = TransformersLoading.apply(original, config("{\"tokenizer_class\": \"T5TokenizerFast\"}"),
        MissingNode.getInstance());
    assertSame(original, t5.tokenizerJson());
    assertTrue(t5.warning().contains("T5Tokenizer"), t5.warning());
  }

  @Test
  void theClassComesFromTokenizerConfigThenConfigThenModelType() throws IOException {
    assertEquals("LlamaTokenizer", TransformersLoading.tokenizerClass(config("{\"tokenizer_class\": \"LlamaTokenizerFast\"}"),
        config("{\"model_type\": \"gemma\"}")));
    assertEquals("GemmaTokenizer", TransformersLoading.tokenizerClass(MissingNode.getInstance(),
        config("{\"model_type\": \"gemma3_text\"}")));
    assertEquals("Qwen2Tokenizer", TransformersLoading.tokenizerClass(config("{}"),
        config("{\"tokenizer_class\": \"Qwen2TokenizerFast\", \"model_type\": \"llama\"}")));
    assertEquals("PreTrainedTokenizerFast", TransformersLoading.tokenizerClass(
        config("{\"tokenizer_class\": \"PreTrainedTokenizerFast\"}"), MissingNode.getInstance()));
    assertEquals("", TransformersLoading.tokenizerClass(config("{}"), config("{\"model_type\": \"llama\"}")));
  }

  @Test
  void namedSpecialTokensBecomeSpecialAddedTokens() throws IOException {
    JsonNode json = apply("{\"tokenizer_class\": \"LlamaTokenizer\", \"pad_token\": \"hi\"}");
    JsonNode pad = null;
    for (JsonNode t : json.path("added_tokens")) {
      if (t.path("content").asText().equals("hi")) {
        pad = t;
      }
    }
    assertEquals(6, pad.path("id").asInt(), "a vocabulary token keeps its id");
    assertTrue(pad.path("special").asBoolean());
    assertFalse(pad.path("normalized").asBoolean());
  }

  @Test
  void theLoadedTokenizerEncodesAsTransformersFive(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("tokenizer.json"), LEGACY_SP);
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"tokenizer_class\": \"LlamaTokenizer\", \"legacy\": false}");
    try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
      // legacy normalizer: "▁▁hi" -> [▁▁, hi]; Metaspace prepends only when no ▁ leads: "▁hi"
      assertArrayEquals(new int[] {1, 7}, tokenizer.encode(" hi", true));
      assertArrayEquals(new int[] {7}, tokenizer.encode("hi", false));
      // "first": no ▁ before text that follows a special token
      assertArrayEquals(new int[] {1, 6}, tokenizer.encode("<s>hi", false));
      assertEquals("hi", tokenizer.decode(new int[] {1, 7}, true));
    }
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"tokenizer_class\": \"PreTrainedTokenizerFast\"}");
    try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
      assertArrayEquals(new int[] {1, 3, 7}, tokenizer.encode(" hi", true), "as written: the legacy normalizer");
      assertArrayEquals(new int[] {1, 7}, tokenizer.encode("<s>hi", false));
    }
  }

  @Test
  void malformedAddedTokensAreNamed(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("tokenizer.json"), LEGACY_SP);
    Files.writeString(dir.resolve("tokenizer_config.json"),
        "{\"tokenizer_class\": \"LlamaTokenizer\", \"added_tokens_decoder\": {\"one\": {\"content\": \"<s>\"}}}");
    TokenizerException e = assertThrows(TokenizerException.class, () -> HfTokenizer.load(dir));
    assertEquals(dir + ": tokenizer_config.json: added_tokens_decoder key \"one\" is not a token id", e.getMessage());
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"tokenizer_class\": \"LlamaTokenizer\"}");
    Files.writeString(dir.resolve("tokenizer.json"), LEGACY_SP.replace("{\"id\": 2, \"content\"", "{\"id\": \"x\", \"content\""));
    e = assertThrows(TokenizerException.class, () -> HfTokenizer.load(dir));
    assertEquals(dir + ": tokenizer.json: added_tokens[2] is not an {id, content, ...} object", e.getMessage());
  }
}
