package io.lorafleet.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.backend.BackendConfig;
import io.lorafleet.runtime.model.LoraAdapter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The whole engine against reference.json, with everything batched together in different ways. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EngineParityTest {
  private LoadedModel le;
  private final Map<String, LoraAdapter> adapters = new HashMap<>();

  @BeforeAll
  void open() {
    le = LoadedModel.open(Fixtures.model(), "cpu", new BackendConfig(2, 0),
        EngineConfig.DEFAULTS.withKvCacheBytes(32L << 20).withMaxNumSeqs(64).withMaxBatchTokens(512));
    for (String name : Fixtures.adapterNames()) {
      adapters.put(name, le.loadAdapter(name, Fixtures.adapter(name), 0));
    }
  }

  @AfterAll
  void close() {
    le.close();
  }

  private static SamplingParams referenceParams() {
    return SamplingParams.builder().maxNewTokens(24).ignoreEos(true).build();
  }

  /** Submits all requests at once, runs the engine dry, returns results by request id. */
  static Map<String, GenerationResult> runAll(Engine engine, List<GenerateRequest> requests) {
    Map<String, GenerationResult> results = new LinkedHashMap<>();
    for (GenerateRequest r : requests) {
      engine.submit(r, new GenerationListener() {
        @Override
        public void onToken(String requestId, TokenOutput token) {}

        @Override
        public void onFinish(GenerationResult result) {
          results.put(result.requestId(), result);
        }
      });
    }
    engine.runUntilIdle();
    assertEquals(requests.size(), results.size(), "every request finishes");
    return results;
  }

  private List<GenerateRequest> allGenerations() {
    List<GenerateRequest> reqs = new ArrayList<>();
    int i = 0;
    for (JsonNode g : Fixtures.reference().get("generations")) {
      String adapter = g.get("adapter").isNull() ? null : g.get("adapter").asText();
      reqs.add(new GenerateRequest("g" + i++, Fixtures.promptIds(g.get("prompt").asInt()),
          adapter == null ? null : adapters.get(adapter), referenceParams()));
    }
    return reqs;
  }

  private void assertMatchesReference(Map<String, GenerationResult> results) {
    int i = 0;
    for (JsonNode g : Fixtures.reference().get("generations")) {
      GenerationResult r = results.get("g" + i++);
      String what = "prompt " + g.get("prompt") + " adapter " + g.get("adapter");
      assertArrayEquals(Fixtures.ints(g.get("token_ids")), r.tokenIds(), what);
      assertEquals(g.get("text").asText(), r.text(), what);
      assertEquals(FinishReason.LENGTH, r.finishReason());
      JsonNode lps = g.get("logprobs");
      for (int t = 0; t < lps.size(); t++) {
        assertEquals(lps.get(t).asDouble(), r.logprobs()[t], 2e-3, what + " logprob " + t);
      }
    }
  }

  @Test
  void everyPromptAndAdapterInOneContinuousBatch() {
    assertMatchesReference(runAll(le.engine(), allGenerations()));
  }

  @Test
  void chunkedPrefillAndSmallBatchesGiveTheSameResults() {
    try (LoadedModel small = LoadedModel.open(Fixtures.model(), "cpu", new BackendConfig(2, 0),
        EngineConfig.DEFAULTS.withKvCacheBytes(32L << 20).withMaxNumSeqs(5).withMaxBatchTokens(37))) {
      Map<String, LoraAdapter> own = new HashMap<>();
      List<GenerateRequest> reqs = new ArrayList<>();
      for (GenerateRequest r : allGenerations()) {
        LoraAdapter a = r.adapter() == null ? null
            : own.computeIfAbsent(r.adapter().id(), id -> small.loadAdapter(id, Fixtures.adapter(id), 0));
        reqs.add(new GenerateRequest(r.requestId(), r.promptTokenIds(), a, r.params()));
      }
      assertMatchesReference(runAll(small.engine(), reqs));
    }
  }

  @Test
  void mixedBatchesFromTheReferenceGiveThePerRequestResults() {
    for (JsonNode batch : Fixtures.reference().get("mixed_batches")) {
      List<GenerateRequest> reqs = new ArrayList<>();
      int i = 0;
      for (JsonNode r : batch.get("requests")) {
        String adapter = r.get("adapter").isNull() ? null : r.get("adapter").asText();
        reqs.add(new GenerateRequest(batch.get("name").asText() + "-" + i++, Fixtures.promptIds(r.get("prompt").asInt()),
            adapter == null ? null : adapters.get(adapter), referenceParams()));
      }
      Map<String, GenerationResult> results = runAll(le.engine(), reqs);
      i = 0;
      for (JsonNode r : batch.get("requests")) {
        GenerationResult got = results.get(batch.get("name").asText() + "-" + i++);
        assertArrayEquals(Fixtures.ints(r.get("expected_token_ids")), got.tokenIds());
        assertEquals(r.get("expected_text").asText(), got.text());
      }
    }
  }

  @Test
  void tightKvCacheForcesPreemptionButNotDifferentResults() {
    // 40 blocks of 16 tokens cannot hold all long prompts at once: sequences queue and get preempted.
    try (LoadedModel tight = LoadedModel.open(Fixtures.model(), "cpu", new BackendConfig(2, 0),
        EngineConfig.DEFAULTS.withNumKvBlocks(40).withMaxNumSeqs(16).withMaxBatchTokens(256))) {
      Map<String, LoraAdapter> own = new HashMap<>();
      List<GenerateRequest> reqs = new ArrayList<>();
      for (GenerateRequest r : allGenerations()) {
        LoraAdapter a = r.adapter() == null ? null
            : own.computeIfAbsent(r.adapter().id(), id -> tight.loadAdapter(id, Fixtures.adapter(id), 0));
        reqs.add(new GenerateRequest(r.requestId(), r.promptTokenIds(), a, r.params()));
      }
      assertMatchesReference(runAll(tight.engine(), reqs));
      EngineStats stats = tight.engine().stats();
      assertTrue(stats.preemptions() > 0, "expected preemptions with a tight cache: " + stats);
      assertEquals(0, stats.kvBlocksUsed(), "every block returned");
    }
  }
}
