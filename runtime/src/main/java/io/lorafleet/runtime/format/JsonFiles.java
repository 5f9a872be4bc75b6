package io.lorafleet.runtime.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafleet.runtime.errors.ModelFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads a small JSON config file into {@link JsonFields}, with errors that name the file. */
final class JsonFiles {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_CONFIG_BYTES = 16L * 1024 * 1024;

  private JsonFiles() {}

  static JsonFields readObject(Path file) {
    return readObject(file, false);
  }

  /**
   * @param regularFileOnly refuse a symbolic link (or anything but a regular file) in place of the file, and
   *                        open it without following links (files a caller's directory holds)
   */
  static JsonFields readObject(Path file, boolean regularFileOnly) {
    try {
      if (regularFileOnly && Files.exists(file, LinkOption.NOFOLLOW_LINKS)
          && !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        throw new ModelFormatException(file.getFileName() + ": must be a regular file (symbolic links are refused)");
      }
      if (Files.size(file) > MAX_CONFIG_BYTES) {
        throw new ModelFormatException(file + ": larger than " + MAX_CONFIG_BYTES + " bytes, not a config file");
      }
      JsonNode root;
      try (InputStream in = regularFileOnly
          ? Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)
          : Files.newInputStream(file)) {
        root = JSON.readTree(in);
      }
      if (root == null || !root.isObject()) {
        throw new ModelFormatException(file + ": expected a JSON object");
      }
      return new JsonFields(file, root);
    } catch (NoSuchFileException e) {
      throw new ModelFormatException(file + ": file not found");
    } catch (JsonProcessingException e) {
      // Only where: the parser's message quotes the file's content.
      throw new ModelFormatException(file + ": not valid JSON (line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr() + ")");
    } catch (IOException e) {
      throw new ModelFormatException(file + ": cannot read: " + e.getMessage());
    }
  }
}
