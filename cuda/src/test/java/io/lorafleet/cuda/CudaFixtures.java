package io.lorafleet.cuda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The repository's fixtures (tiny Llama, PEFT adapters, reference.json), found through -Dlorafleet.fixtures. */
final class CudaFixtures {
  private static JsonNode reference;

  private CudaFixtures() {}

  static Path root() {
    String p = System.getProperty("lorafleet.fixtures");
    for (Path dir : p != null ? List.of(Path.of(p)) : List.of(Path.of("..", "fixtures"), Path.of("fixtures"))) {
      if (Files.isDirectory(dir)) {
        return dir.toAbsolutePath().normalize();
      }
    }
    throw new IllegalStateException("fixtures not found (set -Dlorafleet.fixtures)");
  }

  static LlamaModel model() {
    return LlamaModel.load(root().resolve("model"));
  }

  static synchronized JsonNode reference() {
    if (reference == null) {
      try {
        reference = new ObjectMapper().readTree(root().resolve("reference.json").toFile());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return reference;
  }

  static List<String> adapterNames() {
    List<String> names = new ArrayList<>();
    reference().get("adapters").fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** Every fixture adapter, loaded for {@code model}, by name. */
  static Map<String, LoraAdapter> adapters(LlamaModel model) {
    Map<String, LoraAdapter> out = new LinkedHashMap<>();
    for (String name : adapterNames()) {
      out.put(name, LoraAdapter.load(name, root().resolve("adapters").resolve(name), model.config(), 0));
    }
    return out;
  }

  static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }

  static int[] promptIds(int prompt) {
    return ints(reference().get("prompts").get(prompt).get("token_ids"));
  }

  static String adapterOf(JsonNode node) {
    return node.get("adapter").isNull() ? null : node.get("adapter").asText();
  }
}
