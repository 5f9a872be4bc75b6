package io.lorafleet.runtime.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the JSON files of a model directory, with errors that name the file and the problem. */
final class JsonConfigFile {
  private static final ObjectMapper JSON = new ObjectMapper();

  private JsonConfigFile() {}

  /** Reads a file that must exist and hold a JSON object. */
  static JsonNode readRequired(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new TokenizerException(file + ": file not found");
    }
    return read(file);
  }

  /** Reads a file that may be absent ({@link MissingNode} then) but must hold a JSON object if present. */
  static JsonNode readOptional(Path file) {
    return Files.isRegularFile(file) ? read(file) : MissingNode.getInstance();
  }

  /** The JSON text of a node, UTF-8. */
  static byte[] write(JsonNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new TokenizerException("cannot write JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static JsonNode read(Path file) {
    try {
      JsonNode root = JSON.readTree(file.toFile());
      if (root == null || !root.isObject()) {
        throw new TokenizerException(file + ": expected a JSON object");
      }
      return root;
    } catch (JsonProcessingException e) {
      var where = e.getLocation();
      throw new TokenizerException(file + ": not valid JSON: " + e.getOriginalMessage()
          + (where == null ? "" : " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")"), e);
    } catch (IOException e) {
      throw new TokenizerException(file + ": cannot read: " + e.getMessage(), e);
    }
  }
}
