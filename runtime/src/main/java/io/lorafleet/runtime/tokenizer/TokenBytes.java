package io.lorafleet.runtime.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The bytes of text each token decodes to, as the tokenizer's {@code decoder} defines them, for
 * constrained decoding (which matches generated text byte by byte). Three decoders are understood:
 *
 * <ul>
 *   <li>byte-level BPE ({@code ByteLevel}: GPT-2, Llama 3, Qwen, ...): each character of a token string
 *       stands for one byte (GPT-2's byte-to-unicode table), so a token may be part of a UTF-8 character;
 *   <li>SentencePiece ({@code Metaspace}, or a {@code Sequence} that replaces {@code ▁} by a space, with
 *       {@code ByteFallback} for {@code <0xNN>} tokens: Llama 2, Mistral, ...): {@code ▁} is a space, and
 *       the decoder strips the space that starts the text;
 *   <li>none ({@code "decoder": null}, e.g. WordLevel): tokens are joined by single spaces.
 * </ul>
 *
 * <p>Added tokens that are not special decode to their content; special tokens and ids without a token have
 * no bytes ({@code null}). {@link #firstBytes} is a token's text at the very start of the generated text
 * (where SentencePiece strips the leading space and space-joined tokens have no separator). Immutable.
 */
public final class TokenBytes {
  /** How the decoder works. */
  public enum Scheme { BYTE_LEVEL, SENTENCEPIECE, SPACE_JOINED }

  private static final char METASPACE = '\u2581';

  private final Scheme scheme;
  private final byte[][] bytes;
  private final byte[][] first;

  private TokenBytes(Scheme scheme, byte[][] bytes, byte[][] first) {
    this.scheme = scheme;
    this.bytes = bytes;
    this.first = first;
  }

  public Scheme scheme() {
    return scheme;
  }

  /** One past the largest token id. */
  public int idLimit() {
    return bytes.length;
  }

  /** The bytes token {@code id} adds to the text, or null (special, unknown or not representable). */
  public byte[] bytes(int id) {
    return id >= 0 && id < bytes.length ? bytes[id] : null;
  }

  /** The bytes token {@code id} gives as the first token of a text, or null like {@link #bytes}. */
  public byte[] firstBytes(int id) {
    return id >= 0 && id < first.length ? first[id] : null;
  }

  /** Whether a token's text can differ at the start of a text (the decoder strips or joins). */
  public boolean startDiffers() {
    return scheme != Scheme.BYTE_LEVEL;
  }

  /**
   * What a {@code tokenizer.json}'s decoder does, read once at load: the scheme, or why constrained
   * decoding cannot use it.
   */
  record Decoder(Scheme scheme, boolean byteFallback, boolean stripFirst, String problem) {
    static Decoder unsupported(String problem) {
      return new Decoder(null, false, false, problem);
    }

    static Decoder of(JsonNode tokenizerJson, Path file) {
      JsonNode decoder = tokenizerJson.path("decoder");
      String type = decoder.path("type").asText("");
      if (decoder.isNull() || decoder.isMissingNode()) {
        return new Decoder(Scheme.SPACE_JOINED, false, false, null);
      }
      if (type.equals("ByteLevel")) {
        return new Decoder(Scheme.BYTE_LEVEL, false, false, null);
      }
      if (type.equals("Metaspace")) {
        if (!decoder.path("replacement").asText(String.valueOf(METASPACE)).equals(String.valueOf(METASPACE))) {
          return unsupported(file + ": the Metaspace decoder's replacement is not \u2581");
        }
        String prepend = decoder.path("prepend_scheme").asText(decoder.path("add_prefix_space").asBoolean(true)
            ? "always" : "never");
        return new Decoder(Scheme.SENTENCEPIECE, false, !prepend.equals("never"), null);
      }
      if (!type.equals("Sequence")) {
        return unsupported(file + ": decoder " + type);
      }
      boolean replacesMetaspace = false;
      boolean byteLevel = false;
      boolean byteFallback = false;
      boolean stripFirst = false;
      for (JsonNode d : decoder.path("decoders")) {
        String t = d.path("type").asText("");
        switch (t) {
          case "Replace" -> {
            if (!d.path("pattern").path("String").asText("").equals(String.valueOf(METASPACE))
                || !d.path("content").asText("").equals(" ")) {
              return unsupported(file + ": decoder Replace of " + d.path("pattern"));
            }
            replacesMetaspace = true;
          }
          case "ByteFallback" -> byteFallback = true;
          case "Fuse" -> { }
          case "Strip" -> {
            if (!d.path("content").asText("").equals(" ") || d.path("stop").asInt(0) != 0
                || d.path("start").asInt(0) > 1) {
              return unsupported(file + ": decoder Strip " + d);
            }
            stripFirst = d.path("start").asInt(0) == 1;
          }
          case "ByteLevel" -> byteLevel = true;
          default -> {
            return unsupported(file + ": decoder " + t + " in a Sequence");
          }
        }
      }
      if (byteLevel && !replacesMetaspace) {
        return new Decoder(Scheme.BYTE_LEVEL, false, false, null);
      }
      if (replacesMetaspace && !byteLevel) {
        return new Decoder(Scheme.SENTENCEPIECE, byteFallback, stripFirst, null);
      }
      return unsupported(file + ": decoder Sequence " + decoder.path("decoders"));
    }
  }

  /** The bytes of every token of {@code vocabulary} under a supported {@code decoder}. */
  static TokenBytes of(Decoder decoder, Vocabulary vocabulary) {
    Scheme scheme = decoder.scheme();
    int n = vocabulary.idLimit();
    byte[][] bytes = new byte[n][];
    byte[][] first = new byte[n][];
    int[] byteOf = scheme == Scheme.BYTE_LEVEL ? byteLevelTable() : null;
    for (int id = 0; id < n; id++) {
      String token = vocabulary.token(id);
      if (token == null || vocabulary.isSpecial(id)) {
        continue;
      }
      if (vocabulary.isAdded(id)) {
        byte[] b = token.getBytes(StandardCharsets.UTF_8);
        bytes[id] = b;
        first[id] = b;
        continue;
      }
      switch (scheme) {
        case BYTE_LEVEL -> {
          byte[] b = byteLevel(token, byteOf);
          bytes[id] = b;
          first[id] = b;
        }
        case SENTENCEPIECE -> {
          byte[] fallback = decoder.byteFallback() ? byteFallback(token) : null;
          byte[] b = fallback != null ? fallback : token.replace(METASPACE, ' ').getBytes(StandardCharsets.UTF_8);
          bytes[id] = b;
          // The decoder strips one space from the start of the whole text, whichever token brought it.
          first[id] = decoder.stripFirst() && b.length > 0 && b[0] == ' ' ? java.util.Arrays.copyOfRange(b, 1, b.length)
              : b;
        }
        case SPACE_JOINED -> {
          first[id] = token.getBytes(StandardCharsets.UTF_8);
          bytes[id] = (" " + token).getBytes(StandardCharsets.UTF_8);
        }
      }
    }
    return new TokenBytes(scheme, bytes, first);
  }

  private static byte[] byteLevel(String token, int[] byteOf) {
    byte[] out = new byte[token.length()];
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      int b = c < byteOf.length ? byteOf[c] : -1;
      if (b < 0) {
        return null;
      }
      out[i] = (byte) b;
    }
    return out;
  }

  /** GPT-2's table, inverted: the byte each of the 256 printable stand-in characters means (-1: none). */
  private static int[] byteLevelTable() {
    int[] byteOf = new int[512];
    java.util.Arrays.fill(byteOf, -1);
    int extra = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      if (printable) {
        byteOf[b] = b;
      } else {
        byteOf[256 + extra++] = b;
      }
    }
    return byteOf;
  }

  /** {@code <0xNN>} is the byte NN under ByteFallback. */
  private static byte[] byteFallback(String token) {
    if (token.length() == 6 && token.startsWith("<0x") && token.endsWith(">")) {
      try {
        return new byte[] {(byte) Integer.parseInt(token.substring(3, 5), 16)};
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }
}
