package io.lorafleet.runtime.tokenizer;

import io.lorafleet.runtime.Fixtures;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading: errors that name the file, optional files, chat template forms. */
class HfTokenizerLoadTest {
  @TempDir
  Path dir;

  private Path copyOfModel() throws IOException {
    Path model = dir.resolve("model");
    Files.createDirectories(model);
    for (String name : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json", "config.json")) {
      Files.copy(Fixtures.model().resolve(name), model.resolve(name));
    }
    return model;
  }

  private static void assertMessageNames(Path file, TokenizerException e) {
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }

  @Test
  void missingDirectory() {
    Path missing = dir.resolve("nope");
    var e = assertThrows(TokenizerException.class, () -> HfTokenizer.load(missing));
    assertEquals(missing + ": model directory not found", e.getMessage());
  }

  @Test
  void fileInsteadOfDirectory() throws IOException {
    Path file = Files.writeString(dir.resolve("tokenizer.json"), "{}");
    var e = assertThrows(TokenizerException.class, () -> HfTokenizer.load(file));
    assertEquals(file + ": not a directory", e.getMessage());
  }

  @Test
  void missingTokenizerJson() throws IOException {
    Path model = copyOfModel();
    Files.delete(model.resolve("tokenizer.json"));
    var e = assertThrows(TokenizerException.class, () -> HfTokenizer.load(model));
    assertEquals(model.resolve("tokenizer.json") + ": file not found", e.getMessage());
  }

  @Test
  void truncatedTokenizerJson() throws IOException {
    Path model = copyOfModel();
    Path file = model.resolve("tokenizer.json");
    String json = Files.readString(file);
    Files.writeString(file, json.substring(0, json.length() / 2));
    var e = assertThrows(TokenizerException.class, () -> HfTokenizer.load(model));
    assertMessageNames(file, e);
    assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
  }

  @Test
  void tokenizerJsonThatIsNotATokenizer() throws IOException {
    Path model = copyOfModel();
    Path file = model.resolve("tokenizer.json");
    Files.writeString(file, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": 42}}");
    Files.delete(model.resolve("tokenizer_config.json"));
    var e = assertThrows(TokenizerException.class, () -> HfTokenizer.load(model));
    assertMessageNames(file, e);
    assertTrue(e.getMessage().contains("not a valid HF tokenizer"), e.getMessage());
  }

  @Test
  void tokenizerJsonWithoutVocabulary() throws IOException {
    Path model = copyOfModel();
    Path file = model.resolve("tokenizer.json");
    Files.writeString(file, "{\"version\": \"1.0\"}");
    var e = assertThrows(TokenizerException.class, () -> HfTokenizer.load(model));
    assertEquals(file + ": no model.vocab (object or list) found", e.getMessage());
  }

  @Test
  void brokenTokenizerConfig() throws IOException {
    Path model = copyOfModel();
    Path file = model.resolve("tokenizer_config.json");
    Files.writeString(file, "{\"bos_token\": ");
    var e = assertThrows(TokenizerException.class, () -> HfTokenizer.load(model));
    assertMessageNames(file, e);
  }

  @Test
  void unknownSpecialTokenInTokenizerConfig() throws IOException {
    Path model = copyOfModel();
    Path file = model.resolve("tokenizer_config.json");
    Files.writeString(file, "{\"eos_token\": \"<|nope|>\"}");
    var e = assertThrows(TokenizerException.class, () -> HfTokenizer.load(model));
    assertEquals(file + ": eos_token \"<|nope|>\" is not a token of tokenizer.json", e.getMessage());
  }

  @Test
  void onlyTokenizerJson() throws IOException {
    Path model = copyOfModel();
    for (String name : List.of("tokenizer_config.json", "generation_config.json", "config.json")) {
      Files.delete(model.resolve(name));
    }
    try (HfTokenizer tokenizer = HfTokenizer.load(model)) {
      assertArrayEquals(new int[] {1000, 459}, tokenizer.encode("The", true));
      assertEquals(OptionalInt.empty(), tokenizer.bosTokenId());
      assertEquals(Set.of(), tokenizer.eosTokenIds());
      assertTrue(tokenizer.chatTemplate().isEmpty());
    }
  }

  @Test
  void idsFromConfigFilesAndTokenObjects() throws IOException {
    Path model = copyOfModel();
    Files.writeString(model.resolve("tokenizer_config.json"),
        """
        {"bos_token": {"__type": "AddedToken", "content": "<|begin_of_text|>"}, "eos_token": "<|end_of_text|>"}""");
    Files.writeString(model.resolve("generation_config.json"), "{\"eos_token_id\": 1004, \"pad_token_id\": 1005}");
    Files.writeString(model.resolve("config.json"), "{\"eos_token_id\": [1001, 1002]}");
    try (HfTokenizer tokenizer = HfTokenizer.load(model)) {
      assertEquals(OptionalInt.of(1000), tokenizer.bosTokenId());
      assertEquals(OptionalInt.of(1005), tokenizer.padTokenId());
      assertEquals(List.of(1001, 1004, 1002), List.copyOf(tokenizer.eosTokenIds()));
    }
  }

  @Test
  void chatTemplateListTakesDefaultAndJinjaFileWins() throws IOException {
    Path model = copyOfModel();
    Files.writeString(model.resolve("tokenizer_config.json"), """
        {"bos_token": "<|begin_of_text|>", "chat_template": [
          {"name": "tool_use", "template": "tools{{ bos_token }}"},
          {"name": "default", "template": "default{{ bos_token }}"}]}""");
    List<ChatMessage> none = List.of();
    try (HfTokenizer tokenizer = HfTokenizer.load(model)) {
      assertEquals("default<|begin_of_text|>", tokenizer.chatTemplate().orElseThrow().render(none, false));
      assertEquals("tools<|begin_of_text|>", tokenizer.chatTemplate("tool_use").orElseThrow().render(none, false));
    }
    Files.writeString(model.resolve("chat_template.jinja"), "jinja{{ bos_token }}\n");
    try (HfTokenizer tokenizer = HfTokenizer.load(model)) {
      assertEquals("jinja<|begin_of_text|>", tokenizer.chatTemplate().orElseThrow().render(none, false));
    }
  }

  @Test
  void closedTokenizerRefusesWork() throws IOException {
    HfTokenizer tokenizer = HfTokenizer.load(Fixtures.model());
    tokenizer.close();
    tokenizer.close();
    assertThrows(RuntimeException.class, () -> tokenizer.encode("x", false));
  }

  @Test
  void negativeIdsAreRejected() {
    try (HfTokenizer tokenizer = HfTokenizer.load(Fixtures.model())) {
      assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(new int[] {-1}, false));
      assertThrows(IllegalArgumentException.class, () -> tokenizer.tokenText(-1));
    }
  }
}
