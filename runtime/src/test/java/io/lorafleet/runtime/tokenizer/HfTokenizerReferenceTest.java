package io.lorafleet.runtime.tokenizer;

import io.lorafleet.runtime.Fixtures;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The fixture tokenizer against fixtures/reference.json (ids from the real HF library). */
class HfTokenizerReferenceTest {
  private static HfTokenizer tokenizer;

  @BeforeAll
  static void load() {
    tokenizer = HfTokenizer.load(Fixtures.model());
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  @Test
  void encodesEveryPromptToTheReferenceIdsAndDecodesBack() {
    JsonNode prompts = Fixtures.reference().get("prompts");
    assertEquals(6, prompts.size());
    for (JsonNode prompt : prompts) {
      String name = prompt.get("name").asText();
      String text = prompt.get("text").asText();
      int[] expected = Fixtures.ints(prompt.get("token_ids"));
      assertArrayEquals(expected, tokenizer.encode(text, prompt.get("add_special_tokens").asBoolean()), name);
      assertEquals(prompt.get("num_tokens").asInt(), expected.length, name);
      String decoded = tokenizer.decode(expected, false);
      if (prompt.get("add_special_tokens").asBoolean()) {
        assertEquals("<|begin_of_text|>" + text, decoded, name);
        assertEquals(text, tokenizer.decode(expected, true), name);
      } else {
        assertEquals(text, decoded, name);
      }
    }
  }

  @Test
  void tokenTextIsTheVocabularyString() {
    for (JsonNode prompt : Fixtures.reference().get("prompts")) {
      int[] ids = Fixtures.ints(prompt.get("token_ids"));
      for (int i = 0; i < ids.length; i++) {
        assertEquals(prompt.get("tokens").get(i).asText(), tokenizer.tokenText(ids[i]));
      }
    }
    assertEquals("Ġb", tokenizer.tokenText(274));
    assertEquals(" b", tokenizer.decode(new int[] {274}, false));
    assertEquals("", tokenizer.tokenText(1010), "padding row of the embedding, unknown to the tokenizer");
  }

  @Test
  void addSpecialTokensFollowsThePostProcessor() {
    assertArrayEquals(new int[] {1000, 459}, tokenizer.encode("The", true));
    assertArrayEquals(new int[] {459}, tokenizer.encode("The", false));
    assertArrayEquals(new int[] {1000}, tokenizer.encode("", true));
    assertArrayEquals(new int[0], tokenizer.encode("", false));
  }

  @Test
  void longInputsAreNeitherTruncatedNorPadded() {
    String text = "The quick brown fox ".repeat(200);
    int[] ids = tokenizer.encode(text, true);
    assertTrue(ids.length > 1000, "DJL would truncate at 512: " + ids.length);
    assertEquals("<|begin_of_text|>" + text, tokenizer.decode(ids, false));
    assertEquals(tokenizer.encode("x", false).length, 1, "no padding");
  }

  @Test
  void decodesEveryGenerationToTheReferenceText() {
    for (JsonNode generation : Fixtures.reference().get("generations")) {
      int[] ids = Fixtures.ints(generation.get("token_ids"));
      assertEquals(generation.get("text").asText(), tokenizer.decode(ids, false),
          "prompt " + generation.get("prompt") + " adapter " + generation.get("adapter"));
    }
  }

  @Test
  void streamsEveryGenerationWithoutPartialCharacters() {
    for (JsonNode generation : Fixtures.reference().get("generations")) {
      String expected = generation.get("text").asText();
      String label = "prompt " + generation.get("prompt") + " adapter " + generation.get("adapter");
      int[] ids = Fixtures.ints(generation.get("token_ids"));
      for (boolean skip : new boolean[] {false, true}) {
        String full = skip ? tokenizer.decode(ids, true) : expected;
        List<String> deltas = new ArrayList<>();
        IncrementalDecoder decoder = tokenizer.newDecoder(skip);
        StringBuilder streamed = new StringBuilder();
        for (int id : ids) {
          String delta = decoder.add(id);
          deltas.add(delta);
          streamed.append(delta);
          assertTrue(full.startsWith(streamed.toString()), label + ": emitted text is not final: " + deltas);
          assertFalse(!delta.isEmpty() && Character.isHighSurrogate(delta.charAt(delta.length() - 1)), label);
          assertTrue(decoder.text().startsWith(streamed.toString()), label + ": text() = emitted + pending");
        }
        streamed.append(decoder.flush());
        assertEquals(full, streamed.toString(), label + " skip=" + skip + " deltas " + deltas);
        assertEquals(full, decoder.text(), label);
      }
    }
  }

  @Test
  void specialTokens() {
    assertEquals(OptionalInt.of(1000), tokenizer.bosTokenId());
    assertEquals(OptionalInt.of(1005), tokenizer.padTokenId());
    assertEquals(Set.of(1001, 1004), tokenizer.eosTokenIds());
    assertEquals(1006, tokenizer.vocabSize());
    for (int id = 1000; id <= 1005; id++) {
      assertTrue(tokenizer.isSpecial(id), "id " + id);
    }
    assertFalse(tokenizer.isSpecial(0));
    assertFalse(tokenizer.isSpecial(999));
    assertFalse(tokenizer.isSpecial(1010));
    assertEquals(OptionalInt.of(1004), tokenizer.tokenId("<|eot_id|>"));
    assertEquals("<|eot_id|>", tokenizer.tokenText(1004));
    assertEquals("<|begin_of_text|>", tokenizer.specialTokenStrings().get("bos_token"));
  }

  @Test
  void chatTemplateReproducesTheChatPrompt() {
    ChatTemplate template = tokenizer.chatTemplate().orElseThrow();
    int chats = 0;
    for (JsonNode prompt : Fixtures.reference().get("prompts")) {
      if (!prompt.has("chat_messages")) {
        continue;
      }
      chats++;
      List<ChatMessage> messages = new ArrayList<>();
      for (JsonNode m : prompt.get("chat_messages")) {
        messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
      }
      // the chat prompt ends with the assistant header: add_generation_prompt=true (also recorded in the fixture)
      assertTrue(prompt.get("add_generation_prompt").asBoolean());
      String rendered = template.render(messages, true);
      assertEquals(prompt.get("text").asText(), rendered);
      assertArrayEquals(Fixtures.ints(prompt.get("token_ids")), tokenizer.encode(rendered, false));
      String withoutPrompt = template.render(messages, false);
      assertEquals(rendered, withoutPrompt + "<|start_header_id|>assistant<|end_header_id|>\n\n");
    }
    assertEquals(1, chats);
  }
}
