package io.lorafleet.runtime.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The special tokens a model declares across {@code tokenizer_config.json}, {@code
 * generation_config.json} and {@code config.json}.
 *
 * @param bosId beginning-of-sequence id: {@code bos_token} of tokenizer_config, else {@code bos_token_id}
 *     of generation_config, else of config
 * @param padId padding id, resolved the same way
 * @param eosIds every end-of-sequence id: tokenizer_config {@code eos_token} plus {@code eos_token_id}
 *     (int or list) of generation_config and config, in that order
 * @param templateVariables the special-token strings a chat template sees ({@code bos_token}, {@code
 *     eos_token}, {@code pad_token}, {@code unk_token}, ... and {@code additional_special_tokens}), as
 *     HF's {@code special_tokens_map}
 */
record SpecialTokens(OptionalInt bosId, OptionalInt padId, Set<Integer> eosIds, Map<String, Object> templateVariables) {
  private static final List<String> TOKEN_KEYS =
      List.of("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token");

  static SpecialTokens resolve(Vocabulary vocabulary, JsonNode tokenizerConfig, Path tokenizerConfigFile,
      JsonNode generationConfig, JsonNode modelConfig) {
    Map<String, Object> variables = new LinkedHashMap<>();
    for (String key : TOKEN_KEYS) {
      String token = tokenString(tokenizerConfig.path(key));
      if (token != null) {
        variables.put(key, token);
      }
    }
    JsonNode additional = tokenizerConfig.path("additional_special_tokens");
    if (additional.isArray()) {
      List<String> tokens = new ArrayList<>();
      additional.forEach(t -> {
        String token = tokenString(t);
        if (token != null) {
          tokens.add(token);
        }
      });
      variables.put("additional_special_tokens", List.copyOf(tokens));
    }
    OptionalInt bos = idOf(vocabulary, variables.get("bos_token"), tokenizerConfigFile, "bos_token");
    if (bos.isEmpty()) {
      bos = firstId(generationConfig.path("bos_token_id"), modelConfig.path("bos_token_id"));
    }
    OptionalInt pad = idOf(vocabulary, variables.get("pad_token"), tokenizerConfigFile, "pad_token");
    if (pad.isEmpty()) {
      pad = firstId(generationConfig.path("pad_token_id"), modelConfig.path("pad_token_id"));
    }
    Set<Integer> eos = new LinkedHashSet<>();
    idOf(vocabulary, variables.get("eos_token"), tokenizerConfigFile, "eos_token").ifPresent(eos::add);
    addIds(generationConfig.path("eos_token_id"), eos);
    addIds(modelConfig.path("eos_token_id"), eos);
    return new SpecialTokens(bos, pad, Collections.unmodifiableSet(eos), Collections.unmodifiableMap(variables));
  }

  /** A token written as a string or as a serialized {@code AddedToken} object ({@code {"content": ...}}). */
  static String tokenString(JsonNode node) {
    if (node.isTextual()) {
      return node.asText();
    }
    if (node.isObject() && node.path("content").isTextual()) {
      return node.path("content").asText();
    }
    return null;
  }

  private static OptionalInt idOf(Vocabulary vocabulary, Object token, Path file, String key) {
    if (token == null) {
      return OptionalInt.empty();
    }
    OptionalInt id = vocabulary.id((String) token);
    if (id.isEmpty()) {
      throw new TokenizerException(file + ": " + key + " \"" + token + "\" is not a token of tokenizer.json");
    }
    return id;
  }

  private static OptionalInt firstId(JsonNode... candidates) {
    for (JsonNode candidate : candidates) {
      if (candidate.canConvertToExactIntegral() && candidate.asLong() >= 0) {
        return OptionalInt.of(candidate.asInt());
      }
      if (candidate.isArray() && !candidate.isEmpty() && candidate.get(0).canConvertToExactIntegral()) {
        return OptionalInt.of(candidate.get(0).asInt());
      }
    }
    return OptionalInt.empty();
  }

  private static void addIds(JsonNode node, Set<Integer> into) {
    if (node.canConvertToExactIntegral() && node.asLong() >= 0) {
      into.add(node.asInt());
    } else if (node.isArray()) {
      node.forEach(id -> {
        if (id.canConvertToExactIntegral() && id.asLong() >= 0) {
          into.add(id.asInt());
        }
      });
    }
  }
}
