package io.lorafleet.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.backend.BackendConfig;
import io.lorafleet.runtime.errors.InvalidRequestException;
import io.lorafleet.runtime.errors.OverloadedException;
import io.lorafleet.runtime.model.LoraAdapter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Stopping, seeding, streaming, cancellation and refusals, on the fixture model. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EngineBehaviourTest {
  private LoadedModel le;
  private LoraAdapter qv;

  @BeforeAll
  void open() {
    le = LoadedModel.open(Fixtures.model(), "cpu", new BackendConfig(2, 0),
        EngineConfig.DEFAULTS.withKvCacheBytes(16L << 20).withMaxWaiting(200));
    qv = le.loadAdapter("adapter-qv-r8", Fixtures.adapter("adapter-qv-r8"), 0);
  }

  @AfterAll
  void close() {
    le.close();
  }

  /** Collects streamed tokens and the result of one request. */
  static final class Recorder implements GenerationListener {
    final List<TokenOutput> tokens = new ArrayList<>();
    GenerationResult result;

    @Override
    public void onToken(String requestId, TokenOutput token) {
      tokens.add(token);
    }

    @Override
    public void onFinish(GenerationResult r) {
      result = r;
    }

    String streamedText() {
      StringBuilder sb = new StringBuilder();
      tokens.forEach(t -> sb.append(t.text()));
      return sb.toString();
    }
  }

  private Recorder run(GenerateRequest r) {
    Recorder rec = new Recorder();
    le.engine().submit(r, rec);
    le.engine().runUntilIdle();
    return rec;
  }

  @Test
  void stopsAtEndOfSequenceUnlessIgnored() {
    // Find a reference continuation with an end-of-sequence id in the middle.
    for (JsonNode g : Fixtures.reference().get("generations")) {
      int[] ids = Fixtures.ints(g.get("token_ids"));
      int at = -1;
      for (int i = 0; i < ids.length - 1 && at < 0; i++) {
        if (ids[i] == 1001 || ids[i] == 1004) {
          at = i;
        }
      }
      if (at < 0) {
        continue;
      }
      LoraAdapter a = g.get("adapter").isNull() ? null
          : le.loadAdapter(g.get("adapter").asText(), Fixtures.adapter(g.get("adapter").asText()), 0);
      Recorder rec = run(new GenerateRequest("eos", Fixtures.promptIds(g.get("prompt").asInt()), a,
          SamplingParams.builder().maxNewTokens(24).build()));
      assertEquals(FinishReason.EOS, rec.result.finishReason());
      assertArrayEquals(Arrays.copyOf(ids, at + 1), rec.result.tokenIds());
      assertEquals(le.tokenizer().decode(Arrays.copyOf(ids, at), false), rec.result.text(), "eos text excluded");
      return;
    }
    throw new AssertionError("reference has no continuation with an eos in the middle");
  }

  @Test
  void stopSequenceEndsGenerationAndIsNotReturned() {
    JsonNode g = Fixtures.generation(1, "adapter-qv-r8");
    String full = g.get("text").asText();
    String stop = full.substring(6, 9);
    int cut = full.indexOf(stop);
    Recorder rec = run(new GenerateRequest("stop", Fixtures.promptIds(1), qv,
        SamplingParams.builder().maxNewTokens(24).ignoreEos(true).stop(List.of(stop)).build()));
    assertEquals(FinishReason.STOP, rec.result.finishReason());
    assertEquals(full.substring(0, cut), rec.result.text());
    assertEquals(rec.result.text(), rec.streamedText(), "streamed text never includes the stop sequence");
    assertTrue(rec.result.tokenIds().length < 24);
  }

  @Test
  void streamedTextEqualsFinalTextAndSpecialsAreFlagged() {
    Recorder rec = run(new GenerateRequest("stream", Fixtures.promptIds(0), null,
        SamplingParams.builder().maxNewTokens(24).ignoreEos(true).topLogprobs(3).build()));
    assertEquals(Fixtures.generation(0, null).get("text").asText(), rec.result.text());
    assertEquals(rec.result.text(), rec.streamedText());
    assertEquals(24, rec.tokens.size());
    for (TokenOutput t : rec.tokens) {
      assertEquals(le.tokenizer().isSpecial(t.tokenId()), t.special());
      assertEquals(3, t.top().size());
      assertEquals(t.tokenId(), t.top().getFirst().tokenId(), "greedy token is the most likely");
    }
  }

  @Test
  void seededSamplingIsTheSameAloneAndInABatch() {
    SamplingParams p = SamplingParams.builder().maxNewTokens(16).temperature(0.9).topP(0.95).seed(1234L)
        .ignoreEos(true).build();
    int[] alone = run(new GenerateRequest("seed-alone", Fixtures.promptIds(2), qv, p)).result.tokenIds();
    Map<String, GenerationResult> batch = EngineParityTest.runAll(le.engine(), List.of(
        new GenerateRequest("other-1", Fixtures.promptIds(3), null,
            SamplingParams.builder().maxNewTokens(10).temperature(1.0).build()),
        new GenerateRequest("seed-batched", Fixtures.promptIds(2), qv, p),
        new GenerateRequest("other-2", Fixtures.promptIds(4), qv, SamplingParams.greedy(20))));
    assertArrayEquals(alone, batch.get("seed-batched").tokenIds());
    assertEquals(1234L, batch.get("seed-batched").seed());
    int[] otherSeed = run(new GenerateRequest("seed-other", Fixtures.promptIds(2), qv,
        SamplingParams.builder().maxNewTokens(16).temperature(0.9).topP(0.95).seed(99L).ignoreEos(true).build()))
        .result.tokenIds();
    assertNotEquals(Arrays.toString(alone), Arrays.toString(otherSeed));
  }

  @Test
  void promptLogprobsAreReported() {
    Recorder rec = run(new GenerateRequest("plp", Fixtures.promptIds(0), null,
        SamplingParams.builder().maxNewTokens(2).promptLogprobs(true).build()));
    float[] plp = rec.result.promptLogprobs();
    assertEquals(Fixtures.promptIds(0).length, plp.length);
    assertTrue(Float.isNaN(plp[0]));
    for (int i = 1; i < plp.length; i++) {
      assertTrue(plp[i] <= 0 && Float.isFinite(plp[i]), "prompt logprob " + i + " = " + plp[i]);
    }
    // The generated tokens are unaffected by asking for prompt logprobs.
    assertArrayEquals(Arrays.copyOf(Fixtures.ints(Fixtures.generation(0, null).get("token_ids")), 2),
        rec.result.tokenIds());
  }

  @Test
  void cancelEndsTheRequestAndFreesItsBlocks() {
    Recorder rec = new Recorder();
    le.engine().submit(new GenerateRequest("cancel-me", Fixtures.promptIds(2), qv,
        SamplingParams.builder().maxNewTokens(500).ignoreEos(true).build()), rec);
    for (int i = 0; i < 5; i++) {
      le.engine().step();
    }
    assertTrue(le.engine().stats().kvBlocksUsed() > 0);
    le.engine().cancel("cancel-me");
    le.engine().runUntilIdle();
    assertEquals(FinishReason.CANCELLED, rec.result.finishReason());
    assertEquals(rec.tokens.size(), rec.result.tokenIds().length);
    assertEquals(0, le.engine().stats().kvBlocksUsed());
  }

  @Test
  void invalidRequestsAreRefusedWithTheirReason() {
    Engine e = le.engine();
    GenerationListener none = new Recorder();
    assertTrue(assertThrows(InvalidRequestException.class, () -> e.submit(
        new GenerateRequest("long", new int[2048], null, SamplingParams.greedy(1)), none)).getMessage()
        .contains("context is 2048 tokens"));
    assertTrue(assertThrows(InvalidRequestException.class, () -> e.submit(
        new GenerateRequest("toomany", new int[10], null, SamplingParams.greedy(2040)), none)).getMessage()
        .contains("maximum context length is 2048"));
    assertTrue(assertThrows(InvalidRequestException.class, () -> e.submit(
        new GenerateRequest("vocab", new int[] {1, 5000}, null, SamplingParams.greedy(2)), none)).getMessage()
        .contains("outside the vocabulary"));
    assertTrue(assertThrows(InvalidRequestException.class, () -> e.submit(
        new GenerateRequest("empty", new int[0], null, SamplingParams.greedy(2)), none)).getMessage()
        .contains("empty"));
  }

  @Test
  void fullQueueIsRefusedAsOverload() {
    try (LoadedModel small = LoadedModel.open(Fixtures.model(), "cpu", new BackendConfig(1, 0),
        EngineConfig.DEFAULTS.withKvCacheBytes(4L << 20).withMaxWaiting(2))) {
      Recorder a = new Recorder(), b = new Recorder();
      small.engine().submit(new GenerateRequest("q1", new int[] {1, 2}, null, SamplingParams.greedy(2)), a);
      small.engine().submit(new GenerateRequest("q2", new int[] {1, 2}, null, SamplingParams.greedy(2)), b);
      assertThrows(OverloadedException.class, () -> small.engine().submit(
          new GenerateRequest("q3", new int[] {1, 2}, null, SamplingParams.greedy(2)), new Recorder()));
      small.engine().runUntilIdle();
      assertEquals(2, a.result.tokenIds().length);
      assertEquals(2, b.result.tokenIds().length);
      // Once they ran the queue has room again.
      Recorder c = new Recorder();
      small.engine().submit(new GenerateRequest("q3", new int[] {1, 2}, null, SamplingParams.greedy(2)), c);
      small.engine().runUntilIdle();
      assertEquals(FinishReason.LENGTH, c.result.finishReason());
    }
  }

  @Test
  void backgroundLoopServesRequestsFromOtherThreads() throws Exception {
    try (LoadedModel bg = LoadedModel.open(Fixtures.model(), "cpu", new BackendConfig(2, 0),
        EngineConfig.DEFAULTS.withKvCacheBytes(16L << 20))) {
      bg.engine().start();
      var done = new java.util.concurrent.CompletableFuture<GenerationResult>();
      bg.engine().submit(new GenerateRequest("bg", Fixtures.promptIds(0), null,
          SamplingParams.builder().maxNewTokens(24).ignoreEos(true).build()), new GenerationListener() {
            @Override
            public void onToken(String requestId, TokenOutput token) {}

            @Override
            public void onFinish(GenerationResult result) {
              done.complete(result);
            }
          });
      GenerationResult r = done.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertArrayEquals(Fixtures.ints(Fixtures.generation(0, null).get("token_ids")), r.tokenIds());
    }
  }
}
