package io.lorafleet.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafleet.runtime.DemoTasks;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.backend.BackendConfig;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.tokenizer.ChatMessage;
import io.lorafleet.runtime.tokenizer.ChatTemplate;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The bundled demo model and its six adapters against transformers + PEFT: the greedy outputs that
 * {@code ops/demo-model/parity.py} recorded (held-out prompts, stored gzipped in demo-parity.json.gz: the GPU bundle travels with the working tree) are LoraFleet's
 * too, token for token, all prompts in one continuous batch; the chat prompts render and encode to the
 * ids transformers' tokenizer gave.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoModelParityTest {
  private JsonNode reference;
  private LoadedModel le;
  private final Map<String, LoraAdapter> adapters = new HashMap<>();

  @BeforeAll
  void open() throws IOException {
    try (InputStream in = new GZIPInputStream(DemoModelParityTest.class.getResourceAsStream("/demo-parity.json.gz"))) {
      reference = new ObjectMapper().readTree(in);
    }
    le = LoadedModel.open(DemoTasks.model(), "cpu", new BackendConfig(2, 0),
        EngineConfig.DEFAULTS.withKvCacheBytes(64L << 20).withMaxNumSeqs(64).withMaxBatchTokens(1024));
    for (String name : DemoTasks.TASKS) {
      adapters.put(name, le.loadAdapter(name, DemoTasks.adapters().resolve(name), 0));
    }
  }

  @AfterAll
  void close() {
    if (le != null) {
      le.close();
    }
  }

  @Test
  void chatPromptsEncodeAsTransformersEncodesThem() {
    ChatTemplate template = le.tokenizer().chatTemplate().orElseThrow();
    for (JsonNode c : reference.get("cases")) {
      String rendered = template.render(List.of(new ChatMessage("user", c.get("prompt").asText())), true);
      assertEquals(Arrays.toString(Fixtures.ints(c.get("prompt_token_ids"))),
          Arrays.toString(le.tokenizer().encode(rendered, false)), c.get("prompt").asText());
    }
  }

  @Test
  void greedyOutputsEqualTransformersAndPeftForEveryAdapterInOneBatch() {
    int maxNew = reference.get("max_new_tokens").asInt();
    List<GenerateRequest> requests = new ArrayList<>();
    int i = 0;
    for (JsonNode c : reference.get("cases")) {
      LoraAdapter a = c.get("adapter").isNull() ? null : adapters.get(c.get("adapter").asText());
      requests.add(new GenerateRequest("c" + i++, Fixtures.ints(c.get("prompt_token_ids")), a,
          SamplingParams.builder().maxNewTokens(maxNew).build()));
    }
    Map<String, GenerationResult> results = EngineParityTest.runAll(le.engine(), requests);
    int equal = 0;
    List<String> differ = new ArrayList<>();
    i = 0;
    for (JsonNode c : reference.get("cases")) {
      GenerationResult r = results.get("c" + i++);
      int[] got = r.tokenIds();
      if (r.finishReason() == FinishReason.EOS && got.length > 0 && le.engine().eosTokenIds().contains(got[got.length - 1])) {
        got = Arrays.copyOf(got, got.length - 1); // the reference excludes the stop token
      }
      if (Arrays.equals(Fixtures.ints(c.get("token_ids")), got)) {
        equal++;
      } else if (differ.size() < 5) {
        differ.add(c.get("adapter") + " \"" + c.get("prompt").asText() + "\": transformers \"" + c.get("text").asText()
            + "\", LoraFleet \"" + r.text() + "\"");
      }
    }
    assertTrue(reference.get("cases").size() >= 200, "a few hundred held-out prompts");
    assertEquals(reference.get("cases").size(), equal, "greedy outputs equal to transformers + PEFT; first differences: "
        + differ);
  }
}
