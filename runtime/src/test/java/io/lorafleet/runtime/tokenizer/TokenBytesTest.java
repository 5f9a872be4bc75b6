package io.lorafleet.runtime.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.runtime.Fixtures;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TokenBytes} against the real HF decoder (through DJL): for many token sequences, the text the
 * library decodes is exactly the concatenation of the first token's {@code firstBytes} and the others'
 * {@code bytes}. Byte-level BPE (the fixture), SentencePiece with byte fallback (a Llama-2-style
 * tokenizer.json written here) and space-joined WordLevel (the benchmark's synthetic tokenizer).
 */
public class TokenBytesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  /** Decodes random id sequences and checks the text equals the UTF-8 of the ids' bytes (used by tools/ too). */
  public static void assertDecoderModel(HfTokenizer tok, int checks, long seed) {
    TokenBytes tb = tok.tokenBytes();
    List<Integer> usable = new ArrayList<>();
    for (int id = 0; id < tb.idLimit(); id++) {
      if (tb.bytes(id) != null) {
        usable.add(id);
      }
    }
    SplittableRandom rnd = new SplittableRandom(seed);
    int compared = 0;
    for (int n = 0; n < checks * 4 && compared < checks; n++) {
      int len = 1 + rnd.nextInt(6);
      int[] ids = new int[len];
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      for (int i = 0; i < len; i++) {
        ids[i] = usable.get(rnd.nextInt(usable.size()));
        bytes.writeBytes(i == 0 ? tb.firstBytes(ids[i]) : tb.bytes(ids[i]));
      }
      String expected;
      try {
        expected = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
      } catch (CharacterCodingException e) {
        continue; // partial UTF-8: the library's replacement characters are not what is compared here
      }
      assertEquals(expected, tok.decode(ids, true), () -> "ids " + java.util.Arrays.toString(ids));
      compared++;
    }
    assertTrue(compared >= checks / 2, "enough valid sequences compared: " + compared);
  }

  @Test
  void byteLevelBpeOfTheFixture() {
    try (HfTokenizer tok = HfTokenizer.load(Fixtures.model())) {
      TokenBytes tb = tok.tokenBytes();
      assertEquals(TokenBytes.Scheme.BYTE_LEVEL, tb.scheme());
      assertArrayEquals("\",".getBytes(StandardCharsets.UTF_8), tb.bytes(tok.tokenId("\",").getAsInt()));
      assertArrayEquals(" \"".getBytes(StandardCharsets.UTF_8), tb.bytes(tok.tokenId("\u0120\"").getAsInt()));
      // A token that is one byte of a multi-byte character.
      assertArrayEquals(new byte[] {(byte) 0xE6}, tb.bytes(tok.tokenId("\u00e6").getAsInt()));
      assertNull(tb.bytes(tok.bosTokenId().getAsInt()), "special tokens have no bytes");
      assertDecoderModel(tok, 300, 1);
    }
  }

  @Test
  void sentencePieceWithByteFallbackAndALeadingSpaceStrip() throws Exception {
    writeSentencePiece(tmp);
    try (HfTokenizer tok = HfTokenizer.load(tmp)) {
      TokenBytes tb = tok.tokenBytes();
      assertEquals(TokenBytes.Scheme.SENTENCEPIECE, tb.scheme());
      int braceWithSpace = tok.tokenId("\u2581{").getAsInt();
      assertArrayEquals(" {".getBytes(StandardCharsets.UTF_8), tb.bytes(braceWithSpace));
      assertArrayEquals("{".getBytes(StandardCharsets.UTF_8), tb.firstBytes(braceWithSpace));
      assertArrayEquals(new byte[] {(byte) 0xE6}, tb.bytes(tok.tokenId("<0xE6>").getAsInt()));
      assertDecoderModel(tok, 300, 3);
    }
  }

  @Test
  void otherDecodersAreRefusedWithTheReason() throws Exception {
    writeSentencePiece(tmp);
    ObjectNode t = (ObjectNode) JSON.readTree(tmp.resolve("tokenizer.json").toFile());
    t.putObject("decoder").put("type", "WordPiece").put("prefix", "##").put("cleanup", true);
    JSON.writeValue(tmp.resolve("tokenizer.json").toFile(), t);
    try (HfTokenizer tok = HfTokenizer.load(tmp)) {
      TokenizerException e = assertThrows(TokenizerException.class, tok::tokenBytes);
      assertTrue(e.getMessage().contains("decoder WordPiece"), e.getMessage());
    }
  }

  /** A small Llama-2-style tokenizer: BPE with byte fallback, the ▁ metaspace, and Llama 2's decoder chain. */
  static void writeSentencePiece(Path dir) throws Exception {
    ObjectNode root = JSON.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    String[] specials = {"<unk>", "<s>", "</s>"};
    for (int i = 0; i < specials.length; i++) {
      added.addObject().put("id", i).put("content", specials[i]).put("single_word", false).put("lstrip", false)
          .put("rstrip", false).put("normalized", false).put("special", true);
    }
    ObjectNode norm = root.putObject("normalizer");
    norm.put("type", "Sequence");
    ArrayNode ns = norm.putArray("normalizers");
    ns.addObject().put("type", "Prepend").put("prepend", "\u2581");
    ObjectNode rep = ns.addObject().put("type", "Replace");
    rep.putObject("pattern").put("String", " ");
    rep.put("content", "\u2581");
    root.putNull("pre_tokenizer");
    root.putNull("post_processor");
    ObjectNode dec = root.putObject("decoder");
    dec.put("type", "Sequence");
    ArrayNode ds = dec.putArray("decoders");
    ObjectNode r = ds.addObject().put("type", "Replace");
    r.putObject("pattern").put("String", "\u2581");
    r.put("content", " ");
    ds.addObject().put("type", "ByteFallback");
    ds.addObject().put("type", "Fuse");
    ds.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
    ObjectNode model = root.putObject("model");
    model.put("type", "BPE");
    model.putNull("dropout");
    model.put("unk_token", "<unk>");
    model.putNull("continuing_subword_prefix");
    model.putNull("end_of_word_suffix");
    model.put("fuse_unk", true);
    model.put("byte_fallback", true);
    ObjectNode vocab = model.putObject("vocab");
    int id = 0;
    for (String s : specials) {
      vocab.put(s, id++);
    }
    for (int b = 0; b < 256; b++) {
      vocab.put(String.format("<0x%02X>", b), id++);
    }
    for (String piece : List.of("\u2581", "\u2581a", "b", "{", "\u2581{", "\"", "\":", "\u2581\"", "}", "\u00e9",
        "\u2581the", "x", "1", "\u65e5")) {
      vocab.put(piece, id++);
    }
    model.putArray("merges");
    JSON.writeValue(dir.resolve("tokenizer.json").toFile(), root);
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\":\"<s>\",\"eos_token\":\"</s>\"}");
  }
}
