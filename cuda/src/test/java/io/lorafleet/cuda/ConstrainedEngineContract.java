package io.lorafleet.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.constrain.OutputConstraint;
import io.lorafleet.runtime.engine.Engine;
import io.lorafleet.runtime.engine.EngineConfig;
import io.lorafleet.runtime.engine.FinishReason;
import io.lorafleet.runtime.engine.GenerateRequest;
import io.lorafleet.runtime.engine.GenerationListener;
import io.lorafleet.runtime.engine.GenerationResult;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.engine.TokenOutput;
import io.lorafleet.runtime.errors.LoraFleetException;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.tokenizer.HfTokenizer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.opentest4j.TestAbortedException;

/**
 * Constrained decoding through the whole {@link Engine} on the CUDA backend: the forward pass runs on the
 * device (or its CPU emulator), the masks are applied by the host sampler. A batch holds a JSON Schema
 * request, a regex request (sampled, seeded) and a free greedy request for another adapter, which must still
 * give the reference tokens. Subclasses choose the device.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ConstrainedEngineContract {
  static final String SCHEMA = """
      {"type":"object","properties":{"ok":{"type":"boolean"},"n":{"type":"integer","minimum":0,"maximum":9},
       "tag":{"enum":["a","b"]}},"required":["ok","n","tag"],"additionalProperties":false}""";
  private static final ObjectMapper JSON = new ObjectMapper();

  private LlamaModel model;
  private CudaBackend backend;
  private HfTokenizer tokenizer;
  private Engine engine;
  private final Map<String, LoraAdapter> adapters = new HashMap<>();
  private String skipReason;

  abstract Gpu openGpu();

  /** Tokens the free request generates (the emulator is slow). */
  abstract int freeTokens();

  @BeforeAll
  void open() {
    Gpu gpu;
    try {
      gpu = openGpu();
    } catch (TestAbortedException e) {
      skipReason = e.getMessage();
      return;
    }
    model = CudaFixtures.model();
    backend = new CudaBackend(model, gpu, CudaConfig.DEFAULTS.withAdapterPoolBytes(32L << 20).withDecodeChunk(64));
    tokenizer = HfTokenizer.load(Fixtures.model());
    engine = new Engine(backend, tokenizer, tokenizer.eosTokenIds(),
        EngineConfig.DEFAULTS.withNumKvBlocks(64).withMaxNumSeqs(8));
    for (String name : List.of("adapter-qv-r8", "adapter-all-r4")) {
      adapters.put(name, LoraAdapter.load(name, Fixtures.adapter(name), model.config(), 0));
    }
  }

  @AfterAll
  void close() {
    if (engine != null) {
      engine.close();
    }
    if (backend != null) {
      backend.close();
    }
    if (tokenizer != null) {
      tokenizer.close();
    }
    if (model != null) {
      model.close();
    }
  }

  @Test
  void constrainedAndFreeRowsInOneBatch() throws Exception {
    assumeTrue(skipReason == null, skipReason);
    int[] prompt = Fixtures.promptIds(0);
    String regex = "(red|green|blue)=[0-9]{2}";
    List<GenerateRequest> requests = List.of(
        new GenerateRequest("json", prompt, adapters.get("adapter-all-r4"), SamplingParams.builder().maxNewTokens(120)
            .constraint(OutputConstraint.jsonSchema(SCHEMA)).build()),
        new GenerateRequest("regex", prompt, null, SamplingParams.builder().maxNewTokens(20).temperature(1.0)
            .seed(11L).constraint(OutputConstraint.regex(regex)).build()),
        new GenerateRequest("free", prompt, adapters.get("adapter-qv-r8"), SamplingParams.builder()
            .maxNewTokens(freeTokens()).ignoreEos(true).build()));
    Map<String, GenerationResult> results = new HashMap<>();
    Map<String, LoraFleetException> errors = new HashMap<>();
    for (GenerateRequest r : requests) {
      engine.submit(r, new GenerationListener() {
        @Override
        public void onToken(String requestId, TokenOutput token) {}

        @Override
        public void onFinish(GenerationResult result) {
          results.put(result.requestId(), result);
        }

        @Override
        public void onError(String requestId, LoraFleetException error) {
          errors.put(requestId, error);
        }
      });
    }
    engine.runUntilIdle();
    assertTrue(errors.isEmpty(), errors::toString);

    GenerationResult json = results.get("json");
    assertEquals(FinishReason.EOS, json.finishReason(), json.text());
    JsonNode v = JSON.readTree(json.text());
    assertTrue(v.get("ok").isBoolean() && v.get("n").isInt() && v.get("n").asInt() <= 9
        && List.of("a", "b").contains(v.get("tag").asText()) && v.size() == 3, json.text());

    GenerationResult rx = results.get("regex");
    assertEquals(FinishReason.EOS, rx.finishReason(), rx.text());
    assertTrue(Pattern.matches(regex, rx.text()), rx.text());

    int[] expected = Fixtures.ints(Fixtures.generation(0, "adapter-qv-r8").get("token_ids"));
    int[] got = results.get("free").tokenIds();
    assertArrayEquals(java.util.Arrays.copyOf(expected, got.length), got, "the free row keeps the reference tokens");
  }
}
