package io.lorafleet.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.engine.Engine;
import io.lorafleet.runtime.engine.EngineConfig;
import io.lorafleet.runtime.engine.GenerateRequest;
import io.lorafleet.runtime.engine.GenerationListener;
import io.lorafleet.runtime.engine.GenerationResult;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.engine.TokenOutput;
import io.lorafleet.runtime.errors.LoraFleetException;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.tokenizer.HfTokenizer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The whole engine on the CUDA backend, tokens picked on the device: greedy requests give the reference
 * continuations, and every request (greedy, seeded sampling with temperature, top-k, top-p and repetition
 * penalty, top logprobs, which come back as logits) gives exactly the tokens the host Sampler gives on the
 * same backend with device sampling off, whose logits are bit for bit the same. Subclasses choose the device.
 */
abstract class EngineContract {
  /** A device (or the test is skipped). */
  abstract Gpu openGpu();

  private static final int NEW_TOKENS = 6;

  private record Spec(String id, int prompt, String adapter, SamplingParams params) {}

  private Map<String, GenerationResult> run(boolean deviceSampling, List<Spec> specs) {
    Gpu gpu = openGpu();
    try (LlamaModel model = CudaFixtures.model(); HfTokenizer tokenizer = HfTokenizer.load(Fixtures.model());
        CudaBackend backend = new CudaBackend(model, gpu,
            CudaConfig.DEFAULTS.withAdapterPoolBytes(32L << 20).withDeviceSampling(deviceSampling))) {
      Map<String, LoraAdapter> adapters = CudaFixtures.adapters(model);
      EngineConfig config = EngineConfig.DEFAULTS.toBuilder().numKvBlocks(64).maxNumSeqs(8).maxBatchTokens(256).build();
      Map<String, GenerationResult> out = new LinkedHashMap<>();
      try (Engine engine = new Engine(backend, tokenizer, model.eosTokenIds(), config)) {
        for (Spec s : specs) {
          engine.submit(new GenerateRequest(s.id(), Fixtures.promptIds(s.prompt()),
              s.adapter() == null ? null : adapters.get(s.adapter()), s.params()), new GenerationListener() {
                @Override
                public void onToken(String requestId, TokenOutput token) {}

                @Override
                public void onFinish(GenerationResult result) {
                  out.put(result.requestId(), result);
                }

                @Override
                public void onError(String requestId, LoraFleetException error) {
                  throw new AssertionError(requestId + ": " + error.getMessage(), error);
                }
              });
        }
        engine.runUntilIdle();
      }
      assertEquals(1, backend.capturedGraphs(), "the decode steps ran as one graph");
      return out;
    }
  }

  @Test
  void tokensPickedOnTheDeviceAreTheHostSamplersTokens() {
    SamplingParams greedy = SamplingParams.builder().maxNewTokens(NEW_TOKENS).ignoreEos(true).build();
    List<Spec> specs = List.of(
        new Spec("greedy-base", 0, null, greedy),
        new Spec("greedy-qv", 0, "adapter-qv-r8", greedy),
        new Spec("sampled-all", 0, "adapter-all-r16", SamplingParams.builder().maxNewTokens(NEW_TOKENS).ignoreEos(true)
            .temperature(0.9).topK(40).topP(0.9).repetitionPenalty(1.3).seed(11L).build()),
        new Spec("sampled-base", 1, null, SamplingParams.builder().maxNewTokens(NEW_TOKENS).ignoreEos(true)
            .temperature(1.3).seed(12L).build()),
        new Spec("top-logprobs", 1, "adapter-mlp-r8", SamplingParams.builder().maxNewTokens(NEW_TOKENS).ignoreEos(true)
            .temperature(0.7).seed(13L).topLogprobs(3).build()));
    Map<String, GenerationResult> device = run(true, specs);
    Map<String, GenerationResult> host = run(false, specs);
    for (Spec s : specs) {
      GenerationResult d = device.get(s.id());
      GenerationResult h = host.get(s.id());
      assertArrayEquals(h.tokenIds(), d.tokenIds(), s.id() + ": device vs host sampling");
      float[] dl = d.logprobs();
      float[] hl = h.logprobs();
      for (int i = 0; i < hl.length; i++) {
        assertEquals(hl[i], dl[i], 1e-6f, s.id() + " logprob " + i);
      }
      if (s.params().isGreedy()) {
        int[] ref = Fixtures.ints(Fixtures.generation(s.prompt(), s.adapter()).get("token_ids"));
        assertArrayEquals(Arrays.copyOf(ref, NEW_TOKENS), d.tokenIds(), s.id() + ": the reference continuation");
      }
    }
    assertEquals(3, device.get("top-logprobs").topLogprobs().get(0).size(), "top logprobs from the full row");
    assertTrue(!Arrays.equals(device.get("sampled-all").tokenIds(), device.get("greedy-base").tokenIds()));
    System.out.printf("[engine] %d requests: device sampling gives the host Sampler's tokens%n",
        specs.size());
  }
}
