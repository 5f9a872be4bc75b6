package io.lorafleet.runtime.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Finds the chat templates of a model directory: {@code chat_template} of {@code tokenizer_config.json}
 * (a string, or a list of {@code {name, template}}), overridden for the default template by a {@code
 * chat_template.jinja} file (where recent transformers versions save it), or else read from a legacy
 * {@code chat_template.json} ({@code {"chat_template": ...}}).
 */
final class ChatTemplateSources {
  static final String DEFAULT = "default";

  private ChatTemplateSources() {}

  /** Template sources by name; the one used by default is named {@value #DEFAULT}. */
  static Map<String, String> read(Path modelDir, JsonNode tokenizerConfig, Path tokenizerConfigFile) {
    Map<String, String> templates = new LinkedHashMap<>();
    collect(tokenizerConfig.path("chat_template"), tokenizerConfigFile, templates);
    Path jinjaFile = modelDir.resolve("chat_template.jinja");
    if (Files.isRegularFile(jinjaFile)) {
      try {
        templates.put(DEFAULT, Files.readString(jinjaFile, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new TokenizerException(jinjaFile + ": cannot read: " + e.getMessage(), e);
      }
    }
    Path legacyFile = modelDir.resolve("chat_template.json");
    if (templates.isEmpty() && Files.isRegularFile(legacyFile)) {
      collect(JsonConfigFile.readRequired(legacyFile).path("chat_template"), legacyFile, templates);
    }
    return templates;
  }

  private static void collect(JsonNode node, Path file, Map<String, String> into) {
    if (node.isTextual()) {
      into.put(DEFAULT, node.asText());
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        JsonNode entry = node.get(i);
        if (!entry.path("name").isTextual() || !entry.path("template").isTextual()) {
          throw new TokenizerException(file + ": chat_template[" + i + "] is not a {name, template} object");
        }
        into.put(entry.path("name").asText(), entry.path("template").asText());
      }
    } else if (!node.isMissingNode() && !node.isNull()) {
      throw new TokenizerException(file + ": chat_template must be a string or a list of {name, template}");
    }
  }
}
