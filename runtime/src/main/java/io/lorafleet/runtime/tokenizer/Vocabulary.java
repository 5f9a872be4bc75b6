package io.lorafleet.runtime.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The id/token tables of a {@code tokenizer.json}, which DJL does not expose: the model vocabulary
 * ({@code model.vocab}, an object {@code token -> id} for BPE/WordPiece/WordLevel or a list of {@code
 * [token, score]} pairs for Unigram) plus {@code added_tokens}, which take precedence for their ids as in
 * the HF library. Immutable.
 */
final class Vocabulary {
  private final String[] tokens;
  private final BitSet special;
  private final BitSet added;
  private final Map<String, Integer> ids;
  private final int size;

  private Vocabulary(String[] tokens, BitSet special, BitSet added, Map<String, Integer> ids) {
    this.tokens = tokens;
    this.special = special;
    this.added = added;
    this.ids = ids;
    this.size = (int) Arrays.stream(tokens).filter(t -> t != null).count();
  }

  /** Builds the tables from the parsed {@code tokenizer.json} ({@code file} only names it in errors). */
  static Vocabulary of(JsonNode tokenizerJson, Path file) {
    Map<Integer, String> byId = new HashMap<>();
    Map<String, Integer> ids = new HashMap<>();
    JsonNode vocab = tokenizerJson.path("model").path("vocab");
    if (vocab.isObject()) {
      for (var entry : vocab.properties()) {
        int id = requireId(entry.getValue(), file, "model.vocab[\"" + entry.getKey() + "\"]");
        byId.put(id, entry.getKey());
        ids.put(entry.getKey(), id);
      }
    } else if (vocab.isArray()) {
      for (int id = 0; id < vocab.size(); id++) {
        JsonNode piece = vocab.get(id);
        String token = piece.isArray() ? piece.path(0).asText(null) : null;
        if (token == null) {
          throw new TokenizerException(file + ": model.vocab[" + id + "] is not a [token, score] pair");
        }
        byId.put(id, token);
        ids.putIfAbsent(token, id);
      }
    } else {
      throw new TokenizerException(file + ": no model.vocab (object or list) found");
    }
    BitSet special = new BitSet();
    BitSet addedIds = new BitSet();
    JsonNode added = tokenizerJson.path("added_tokens");
    for (int i = 0; i < added.size(); i++) {
      JsonNode token = added.get(i);
      int id = requireId(token.path("id"), file, "added_tokens[" + i + "].id");
      String content = token.path("content").asText(null);
      if (content == null) {
        throw new TokenizerException(file + ": added_tokens[" + i + "] has no content");
      }
      byId.put(id, content);
      ids.put(content, id);
      special.set(id, token.path("special").asBoolean(false));
      addedIds.set(id);
    }
    int maxId = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
    String[] tokens = new String[maxId + 1];
    byId.forEach((id, token) -> tokens[id] = token);
    return new Vocabulary(tokens, special, addedIds, Map.copyOf(ids));
  }

  private static int requireId(JsonNode node, Path file, String where) {
    if (!node.canConvertToExactIntegral() || node.asLong() < 0 || node.asLong() > Integer.MAX_VALUE - 1) {
      throw new TokenizerException(file + ": " + where + " is not a valid token id: " + node);
    }
    return node.asInt();
  }

  /** The token string of {@code id}, or null if no token has that id. */
  String token(int id) {
    return id >= 0 && id < tokens.length ? tokens[id] : null;
  }

  /** The id of a token string (added tokens first), if the tokenizer knows it. */
  OptionalInt id(String token) {
    Integer id = ids.get(token);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  boolean isSpecial(int id) {
    return id >= 0 && special.get(id);
  }

  /** Whether {@code id} is one of {@code added_tokens} (its content is its text, not a model token string). */
  boolean isAdded(int id) {
    return id >= 0 && added.get(id);
  }

  /** Number of distinct ids (model vocabulary plus added tokens). */
  int size() {
    return size;
  }

  /** One past the largest id. */
  int idLimit() {
    return tokens.length;
  }
}
