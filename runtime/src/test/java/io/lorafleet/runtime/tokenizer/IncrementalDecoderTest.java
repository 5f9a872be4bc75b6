package io.lorafleet.runtime.tokenizer;

import io.lorafleet.runtime.Fixtures;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Streaming decode: deltas are final, never split a character, and add up to decode(all ids). */
class IncrementalDecoderTest {
  private static HfTokenizer tokenizer;

  @BeforeAll
  static void load() {
    tokenizer = HfTokenizer.load(Fixtures.model());
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  /** The id of the byte-level token for one raw byte (GPT-2 bytes_to_unicode). */
  private static int byteToken(int b) {
    int n = 0;
    for (int x = 0; x < 256; x++) {
      boolean printable = (x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF);
      if (x == b) {
        String symbol = new String(Character.toChars(printable ? x : 256 + n));
        return tokenizer.tokenId(symbol).orElseThrow();
      }
      if (!printable) {
        n++;
      }
    }
    throw new IllegalArgumentException("byte " + b);
  }

  private static int[] byteTokens(byte[] bytes) {
    int[] ids = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      ids[i] = byteToken(bytes[i] & 0xFF);
    }
    return ids;
  }

  /** Streams {@code ids}, checking every delta; returns the deltas (the flush last). */
  private static List<String> stream(int[] ids, boolean skip) {
    String full = tokenizer.decode(ids, skip);
    IncrementalDecoder decoder = tokenizer.newDecoder(skip);
    List<String> deltas = new ArrayList<>();
    StringBuilder streamed = new StringBuilder();
    for (int id : ids) {
      String delta = decoder.add(id);
      deltas.add(delta);
      streamed.append(delta);
      assertTrue(full.startsWith(streamed.toString()), () -> "emitted text changed later: " + deltas + " vs " + full);
      assertFalse(!delta.isEmpty() && Character.isHighSurrogate(delta.charAt(delta.length() - 1)));
    }
    String rest = decoder.flush();
    deltas.add(rest);
    streamed.append(rest);
    assertEquals(full, streamed.toString());
    assertEquals(full, decoder.text());
    assertEquals(ids.length, decoder.tokenCount());
    return deltas;
  }

  @Test
  void multiByteCharactersAreHeldBackUntilComplete() {
    byte[] bytes = "a日😀b".getBytes(StandardCharsets.UTF_8);
    List<String> deltas = stream(byteTokens(bytes), false);
    assertEquals(List.of("a", "", "", "日", "", "", "", "😀", "b", ""), deltas);
  }

  @Test
  void invalidBytesBecomeReplacementCharactersAtTheRightMoment() {
    // 0xE6 0x97 then 'A': the incomplete sequence becomes one U+FFFD only once 'A' shows it cannot complete
    List<String> deltas = stream(byteTokens(new byte[] {(byte) 0xE6, (byte) 0x97, 'A', (byte) 0x80}), false);
    assertEquals(List.of("", "", "\uFFFDA", "", "\uFFFD"), deltas);
  }

  @Test
  void specialTokensAreKeptOrSkipped() {
    int[] ids = {459, 1004, 1000, 274};
    assertEquals("The<|eot_id|><|begin_of_text|> b", String.join("", stream(ids, false)));
    assertEquals("The b", String.join("", stream(ids, true)));
    assertEquals(List.of("", "", ""), stream(new int[] {1004, 1010}, true), "special and unknown ids add nothing");
  }

  @Test
  void longRunsOfIncompleteBytesDoNotGrowTheWindow() {
    int[] ids = new int[2000];
    java.util.Arrays.fill(ids, byteToken(0xE6));
    IncrementalDecoder decoder = tokenizer.newDecoder(false);
    StringBuilder streamed = new StringBuilder();
    for (int id : ids) {
      streamed.append(decoder.add(id));
    }
    assertTrue(streamed.length() >= ids.length - 8, "text is emitted while generating: " + streamed.length());
    streamed.append(decoder.flush());
    assertEquals("\uFFFD".repeat(ids.length), streamed.toString());
    assertTrue(decoder.decodedTokens() < 40L * ids.length, "window stays short: " + decoder.decodedTokens());
  }

  @Test
  void randomSequencesMatchFullDecode() {
    Random random = new Random(42);
    int[] byteIds = new int[256];
    for (int b = 0; b < 256; b++) {
      byteIds[b] = byteToken(b);
    }
    for (int round = 0; round < 300; round++) {
      int[] ids = new int[1 + random.nextInt(40)];
      for (int i = 0; i < ids.length; i++) {
        int kind = random.nextInt(10);
        ids[i] = kind < 5 ? byteIds[0x80 + random.nextInt(0x80)] // continuation and lead bytes
            : kind < 8 ? random.nextInt(1000) // any regular token
            : kind < 9 ? 1000 + random.nextInt(6) // special tokens
            : 1006 + random.nextInt(18); // ids the tokenizer does not know
      }
      stream(ids, false);
      stream(ids, true);
    }
  }

  @Test
  void windowStaysShortOnOrdinaryText() {
    String text = "Café au lait, crème brûlée — 日本語のテキスト, ελληνικά. Emoji: 🚀🎉👍🏽 👩‍💻 ❤️ "
        .repeat(20);
    int[] ids = tokenizer.encode(text, false);
    IncrementalDecoder decoder = tokenizer.newDecoder(false);
    StringBuilder streamed = new StringBuilder();
    for (int id : ids) {
      streamed.append(decoder.add(id));
    }
    streamed.append(decoder.flush());
    assertEquals(text, streamed.toString());
    assertTrue(decoder.decodedTokens() < 12L * ids.length, "decoded " + decoder.decodedTokens() + " for " + ids.length);
  }

  @Test
  void addAfterFlushIsRefused() {
    IncrementalDecoder decoder = tokenizer.newDecoder(false);
    decoder.add(459);
    assertEquals("", decoder.flush());
    assertEquals("The", decoder.text());
    assertThrows(IllegalStateException.class, () -> decoder.add(459));
  }
}
