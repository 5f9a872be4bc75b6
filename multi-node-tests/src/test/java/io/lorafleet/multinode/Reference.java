package io.lorafleet.multinode;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** The fixture reference (greedy, 24 tokens, no stop at end-of-sequence) for plain-text prompts. */
final class Reference {
  /** One expected generation: prompt text, adapter (null: base model), the reference token ids. */
  record Case(String prompt, String adapter, int[] tokenIds) {}

  static final List<Case> CASES = load();

  private Reference() {}

  private static List<Case> load() {
    try {
      JsonNode ref = Fleet.JSON.readTree(Fleet.fixtures().resolve("reference.json").toFile());
      List<Case> out = new ArrayList<>();
      for (JsonNode g : ref.get("generations")) {
        int p = g.get("prompt").asInt();
        if (p > 1) {
          continue; // the short and the medium prompt keep the load cheap
        }
        JsonNode ids = g.get("token_ids");
        int[] t = new int[ids.size()];
        for (int i = 0; i < t.length; i++) {
          t[i] = ids.get(i).asInt();
        }
        out.add(new Case(ref.get("prompts").get(p).get("text").asText(),
            g.get("adapter").isNull() ? null : g.get("adapter").asText(), t));
      }
      return List.copyOf(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<String> adapters() {
    return CASES.stream().map(Case::adapter).filter(a -> a != null).distinct().sorted().toList();
  }

  static List<Case> forAdapter(String adapter) {
    return CASES.stream().filter(c -> adapter == null ? c.adapter() == null : adapter.equals(c.adapter())).toList();
  }
}
