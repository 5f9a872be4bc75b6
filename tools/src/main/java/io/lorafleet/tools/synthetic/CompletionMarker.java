package io.lorafleet.tools.synthetic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The file that says a generated directory is complete. It is written last (atomically), names what was
 * generated (a fingerprint of the generator version and its parameters) and the size of every file, so a
 * directory whose writing was interrupted, whose files were truncated since, or which an older generator
 * made, is recognized and redone.
 */
final class CompletionMarker {
  static final String FILE = ".lorafleet-complete";

  private static final ObjectMapper JSON = new ObjectMapper();

  private CompletionMarker() {}

  /** Whether {@code dir} holds a marker for {@code fingerprint} whose files are all present at their size. */
  static boolean isComplete(Path dir, String fingerprint) {
    Path marker = dir.resolve(FILE);
    if (!Files.isRegularFile(marker)) {
      return false;
    }
    try {
      JsonNode root = JSON.readTree(marker.toFile());
      if (root == null || !fingerprint.equals(root.path("fingerprint").asText(null))) {
        return false;
      }
      JsonNode files = root.path("files");
      if (!files.isObject() || files.isEmpty()) {
        return false;
      }
      for (Map.Entry<String, JsonNode> e : files.properties()) {
        Path f = dir.resolve(e.getKey());
        if (!Files.isRegularFile(f) || Files.size(f) != e.getValue().asLong(-1)) {
          return false;
        }
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Records every regular file of {@code dir} with its size, under {@code fingerprint}. */
  static void write(Path dir, String fingerprint) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("fingerprint", fingerprint);
    ObjectNode files = root.putObject("files");
    try (Stream<Path> s = Files.list(dir)) {
      for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
        String name = f.getFileName().toString();
        if (!name.startsWith(FILE)) {
          files.put(name, Files.size(f));
        }
      }
    }
    Path tmp = dir.resolve(FILE + ".tmp");
    JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root);
    try {
      Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Deletes {@code dir} and everything in it, then creates it empty. */
  static void reset(Path dir) throws IOException {
    if (Files.exists(dir)) {
      List<Path> all;
      try (Stream<Path> s = Files.walk(dir)) {
        all = s.sorted(Comparator.reverseOrder()).toList();
      }
      for (Path p : all) {
        Files.delete(p);
      }
    }
    Files.createDirectories(dir);
  }
}
