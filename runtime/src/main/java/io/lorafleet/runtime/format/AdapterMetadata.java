package io.lorafleet.runtime.format;

import io.lorafleet.runtime.errors.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * LoraFleet's optional {@code lorafleet-adapter.json} next to an adapter's {@code adapter_config.json}: what
 * the adapter is for, shown by {@code GET /v1/models}. Example:
 * {@code {"task": "uppercase", "description": "Answers with the input in upper case."}}.
 *
 * @param task        short task name, or null when the file has none
 * @param description one line, at most {@link #MAX_DESCRIPTION_CHARS} characters
 */
public record AdapterMetadata(String task, String description) {
  public static final String FILE = "lorafleet-adapter.json";
  /** Largest metadata file read: it holds one line of text. */
  public static final long MAX_FILE_BYTES = 4096;
  public static final int MAX_DESCRIPTION_CHARS = 200;
  public static final int MAX_TASK_CHARS = 64;

  /**
   * Reads {@code dir/lorafleet-adapter.json}: empty when there is none; a {@link ModelFormatException} naming
   * the file and the problem when it is not a regular file, is larger than {@link #MAX_FILE_BYTES}, is not a
   * JSON object, or its {@code description} is missing, not one line of text, or too long.
   */
  public static Optional<AdapterMetadata> read(Path dir) {
    Path file = dir.resolve(FILE);
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new ModelFormatException(file + ": must be a regular file (symbolic links are refused)");
    }
    try {
      long size = Files.size(file);
      if (size > MAX_FILE_BYTES) {
        throw new ModelFormatException(file + ": " + size + " bytes, more than the " + MAX_FILE_BYTES
            + " a metadata file may have");
      }
    } catch (IOException e) {
      throw new ModelFormatException(file + ": cannot read: " + e.getMessage());
    }
    JsonFields f = JsonFiles.readObject(file, true);
    if (!f.has("description")) {
      throw f.error("description is missing");
    }
    String description = line(f, "description", MAX_DESCRIPTION_CHARS);
    String task = f.has("task") ? line(f, "task", MAX_TASK_CHARS) : null;
    return Optional.of(new AdapterMetadata(task, description));
  }

  private static String line(JsonFields f, String field, int maxChars) {
    String s = f.optionalString(field, "").strip();
    if (s.isEmpty()) {
      throw f.error(field + " is empty");
    }
    if (s.length() > maxChars) {
      throw f.error(field + " has " + s.length() + " characters, more than " + maxChars);
    }
    if (s.chars().anyMatch(Character::isISOControl)) {
      throw f.error(field + " must be one line of text (it has control characters)");
    }
    return s;
  }
}
