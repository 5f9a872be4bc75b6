package io.lorafleet.cuda;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The repository's fixtures as the CUDA tests use them: runtime's {@link Fixtures} (found through
 * -Dlorafleet.fixtures), loaded into models and adapters.
 */
final class CudaFixtures {
  private CudaFixtures() {}

  static LlamaModel model() {
    if (!Files.isDirectory(Fixtures.model())) {
      throw new IllegalStateException("fixtures not found at " + Fixtures.root() + " (set -Dlorafleet.fixtures)");
    }
    return LlamaModel.load(Fixtures.model());
  }

  /** Every fixture adapter, loaded for {@code model}, by name. */
  static Map<String, LoraAdapter> adapters(LlamaModel model) {
    Map<String, LoraAdapter> out = new LinkedHashMap<>();
    for (String name : Fixtures.adapterNames()) {
      out.put(name, LoraAdapter.load(name, Fixtures.adapter(name), model.config(), 0));
    }
    return out;
  }

  static String adapterOf(JsonNode node) {
    return node.get("adapter").isNull() ? null : node.get("adapter").asText();
  }
}
