package io.lorafleet.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.backend.BackendConfig;
import io.lorafleet.runtime.errors.OverloadedException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Priority classes through the whole engine on the fixture model: preemption for a more urgent class, exact tokens. */
class PriorityEngineTest {
  private static SamplingParams referenceParams() {
    return SamplingParams.builder().maxNewTokens(24).ignoreEos(true).build();
  }

  /** Records tokens, results and the order in which requests finished. */
  private static final class Recorder implements GenerationListener {
    final List<String> finished;
    GenerationResult result;

    Recorder(List<String> finished) {
      this.finished = finished;
    }

    @Override
    public void onToken(String requestId, TokenOutput token) {}

    @Override
    public void onFinish(GenerationResult r) {
      result = r;
      finished.add(r.requestId());
    }
  }

  @Test
  void anInteractiveRequestPreemptsARunningBatchOneWhoseGreedyTokensStayExact() {
    // One batch slot: the interactive request can only start by preempting the batch request.
    try (LoadedModel le = LoadedModel.open(Fixtures.model(), "cpu", new BackendConfig(2, 0),
        EngineConfig.DEFAULTS.withKvCacheBytes(16L << 20).withMaxNumSeqs(1))) {
      Engine engine = le.engine();
      List<String> order = new ArrayList<>();
      List<String> queueTimes = new ArrayList<>();
      engine.observeQueueTime((c, nanos) -> queueTimes.add(c.wireName()));
      int[] expectedBatch = Arrays.copyOf(Fixtures.ints(Fixtures.generation(1, null).get("token_ids")), 24);
      int[] expectedInteractive = Arrays.copyOf(Fixtures.ints(Fixtures.generation(0, null).get("token_ids")), 24);

      Recorder alone = new Recorder(order);
      engine.submit(new GenerateRequest("batch-alone", Fixtures.promptIds(1), null, referenceParams(),
          PriorityClass.BATCH), alone);
      engine.runUntilIdle();
      assertArrayEquals(expectedBatch, alone.result.tokenIds(), "unpreempted run");

      Recorder batch = new Recorder(order);
      engine.submit(new GenerateRequest("batch", Fixtures.promptIds(1), null, referenceParams(), PriorityClass.BATCH),
          batch);
      for (int i = 0; i < 8; i++) {
        engine.step(); // the 62-token prompt (from the cache, but for its last block) and 7 decode steps
      }
      assertEquals(1, engine.stats().priority().running(PriorityClass.BATCH));
      long hitsBefore = engine.stats().prefixHitBase();
      Recorder interactive = new Recorder(order);
      engine.submit(new GenerateRequest("interactive", Fixtures.promptIds(0), null, referenceParams(),
          PriorityClass.INTERACTIVE), interactive);
      engine.runUntilIdle();

      assertEquals(List.of("batch-alone", "interactive", "batch"), order, "the interactive request ends first");
      assertArrayEquals(expectedInteractive, interactive.result.tokenIds());
      assertArrayEquals(alone.result.tokenIds(), batch.result.tokenIds(), "the preempted run's tokens are exact");
      assertEquals(alone.result.text(), batch.result.text());
      EngineStats st = engine.stats();
      assertEquals(1, st.priority().preempted(PriorityClass.BATCH));
      assertEquals(0, st.priority().preempted(PriorityClass.INTERACTIVE));
      assertEquals(2, st.priority().admitted(PriorityClass.BATCH), "admitted once each, not again after preemption");
      assertEquals(1, st.priority().admitted(PriorityClass.INTERACTIVE));
      // The preempted sequence found its own prompt and output blocks in the prefix cache when it came back.
      assertTrue(st.prefixHitBase() - hitsBefore >= 3 * 16, "hits after the preemption: " + (st.prefixHitBase() - hitsBefore));
      assertEquals(0, st.kvBlocksUsed(), "every block returned");
      assertEquals(List.of("batch", "batch", "interactive"), queueTimes);
    }
  }

  @Test
  void eachClassHasAQueueOfItsOwn() {
    try (LoadedModel le = LoadedModel.open(Fixtures.model(), "cpu", new BackendConfig(2, 0),
        EngineConfig.DEFAULTS.withKvCacheBytes(16L << 20).withMaxWaiting(2))) {
      Engine engine = le.engine();
      List<String> order = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        engine.submit(new GenerateRequest("b" + i, Fixtures.promptIds(0), null, SamplingParams.greedy(2),
            PriorityClass.BATCH), new Recorder(order));
      }
      OverloadedException full = assertThrows(OverloadedException.class, () -> engine.submit(
          new GenerateRequest("b2", Fixtures.promptIds(0), null, SamplingParams.greedy(2), PriorityClass.BATCH),
          new Recorder(order)));
      assertTrue(full.getMessage().contains("batch"), full.getMessage());
      // A full batch queue does not refuse interactive work.
      engine.submit(new GenerateRequest("i0", Fixtures.promptIds(0), null, SamplingParams.greedy(2),
          PriorityClass.INTERACTIVE), new Recorder(order));
      engine.runUntilIdle();
      assertEquals(List.of("i0", "b0", "b1"), order, "admitted together, the interactive request first");
      assertEquals(0, engine.stats().waiting());
    }
  }
}
