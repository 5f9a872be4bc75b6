package io.lorafleet.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The repo's copy of the shared fixtures: tiny model, PEFT adapters and reference.json, found through
 * {@code -Dlorafleet.fixtures} (set by the build) or {@code ../fixtures}. Shared with the other modules'
 * tests through runtime's test jar.
 */
public final class Fixtures {
  private static JsonNode reference;

  private Fixtures() {}

  public static Path root() {
    String p = System.getProperty("lorafleet.fixtures");
    Path dir = p != null ? Path.of(p) : Path.of("..", "fixtures");
    if (!Files.isDirectory(dir)) {
      dir = Path.of("fixtures");
    }
    return dir.toAbsolutePath().normalize();
  }

  public static Path model() {
    return root().resolve("model");
  }

  public static Path adapters() {
    return root().resolve("adapters");
  }

  public static Path adapter(String name) {
    return adapters().resolve(name);
  }

  public static synchronized JsonNode reference() {
    if (reference == null) {
      try {
        reference = new ObjectMapper().readTree(root().resolve("reference.json").toFile());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return reference;
  }

  public static List<String> adapterNames() {
    List<String> names = new ArrayList<>();
    reference().get("adapters").fieldNames().forEachRemaining(names::add);
    return names;
  }

  public static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }

  public static JsonNode prompt(int i) {
    return reference().get("prompts").get(i);
  }

  public static int numPrompts() {
    return reference().get("prompts").size();
  }

  public static int[] promptIds(int prompt) {
    return ints(prompt(prompt).get("token_ids"));
  }

  /** The reference generation for (prompt, adapter); adapter null for the base model. */
  public static JsonNode generation(int prompt, String adapter) {
    for (JsonNode g : reference().get("generations")) {
      boolean sameAdapter = adapter == null ? g.get("adapter").isNull() : adapter.equals(g.get("adapter").asText());
      if (g.get("prompt").asInt() == prompt && sameAdapter) {
        return g;
      }
    }
    throw new IllegalArgumentException("no generation for prompt " + prompt + " adapter " + adapter);
  }

  /** Copies a directory's files (an adapter fixture into a temporary root). */
  public static void copyTree(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (var s = Files.list(from)) {
      for (Path p : s.toList()) {
        Files.copy(p, to.resolve(p.getFileName().toString()));
      }
    }
  }
}
