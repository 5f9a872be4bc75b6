package io.lorafleet.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The repo's copy of the shared fixtures: tiny model, PEFT adapters and reference.json. */
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

  public static Path adapter(String name) {
    return root().resolve("adapters").resolve(name);
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

  public static int[] promptIds(int prompt) {
    return ints(reference().get("prompts").get(prompt).get("token_ids"));
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
}
