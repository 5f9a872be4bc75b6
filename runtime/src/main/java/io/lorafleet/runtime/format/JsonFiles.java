package io.lorafleet.runtime.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafleet.runtime.errors.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads a small JSON config file into {@link JsonFields}, with errors that name the file. */
final class JsonFiles {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_CONFIG_BYTES = 16L * 1024 * 1024;

  private JsonFiles() {}

  static JsonFields readObject(Path file) {
    try {
      if (Files.size(file) > MAX_CONFIG_BYTES) {
        throw new ModelFormatException(file + ": larger than " + MAX_CONFIG_BYTES + " bytes, not a config file");
      }
      JsonNode root = JSON.readTree(file.toFile());
      if (root == null || !root.isObject()) {
        throw new ModelFormatException(file + ": expected a JSON object");
      }
      return new JsonFields(file, root);
    } catch (NoSuchFileException e) {
      throw new ModelFormatException(file + ": file not found");
    } catch (JsonProcessingException e) {
      throw new ModelFormatException(file + ": not valid JSON: " + e.getOriginalMessage()
          + " (line " + e.getLocation().getLineNr() + ")");
    } catch (IOException e) {
      throw new ModelFormatException(file + ": cannot read: " + e.getMessage());
    }
  }
}
