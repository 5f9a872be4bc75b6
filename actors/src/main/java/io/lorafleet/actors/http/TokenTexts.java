package io.lorafleet.actors.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.lorafleet.runtime.tokenizer.HfTokenizer;
import java.nio.charset.StandardCharsets;

/** How tokens appear in responses of every API: a token's own text, its UTF-8 bytes, a finite logprob. */
final class TokenTexts {
  private final HfTokenizer tokenizer;

  TokenTexts(HfTokenizer tokenizer) {
    this.tokenizer = tokenizer;
  }

  /** The text of one token on its own, special tokens included. */
  String text(int id) {
    return tokenizer.decode(new int[] {id}, false);
  }

  /** Appends the UTF-8 bytes of {@code text} to {@code into}. */
  static ArrayNode utf8(ArrayNode into, String text) {
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      into.add(b & 0xff);
    }
    return into;
  }

  /** A logprob JSON can carry: -9999 for minus infinity (and NaN). */
  static double logprob(float logprob) {
    return Float.isFinite(logprob) ? logprob : -9999.0;
  }
}
