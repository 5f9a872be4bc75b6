package io.lorafleet.actors.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.backend.BackendConfig;
import io.lorafleet.runtime.engine.EngineConfig;
import io.lorafleet.runtime.engine.FinishReason;
import io.lorafleet.runtime.engine.GenerateRequest;
import io.lorafleet.runtime.engine.LoadedModel;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.errors.OverloadedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The batch builder over the real engine: streaming, overload refusal, cancellation. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BatchBuilderTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ConfigFactory.load()).build();

  private LoadedModel loaded;
  private ActorRef<BatchBuilder.Command> builder;

  @BeforeAll
  void start() throws Exception {
    // One running sequence and one waiting: a third request is overload.
    loaded = LoadedModel.open(Fixtures.model(), "cpu", new BackendConfig(2, 0),
        EngineConfig.DEFAULTS.withMaxNumSeqs(1).withMaxWaiting(1).withKvCacheBytes(16L << 20));
    builder = testKit.spawn(BatchBuilder.create(loaded.engine()));
  }

  @AfterAll
  void stop() {
    loaded.close();
  }

  private BatchBuilder.SubmitResult submit(String id, int[] prompt, SamplingParams params,
      TestProbe<GenerationEvent> events) {
    TestProbe<BatchBuilder.SubmitResult> reply = testKit.createTestProbe();
    builder.tell(new BatchBuilder.Submit(new GenerateRequest(id, prompt, null, params), events.ref(), reply.ref()));
    return reply.receiveMessage(WAIT);
  }

  private GenerationEvent.Finished awaitFinished(TestProbe<GenerationEvent> events, List<Integer> tokens) {
    while (true) {
      GenerationEvent e = events.receiveMessage(WAIT);
      if (e instanceof GenerationEvent.Token t) {
        tokens.add(t.token().tokenId());
      } else if (e instanceof GenerationEvent.Finished f) {
        assertEquals(GenerationEvent.End.INSTANCE, events.receiveMessage(WAIT));
        return f;
      } else {
        throw new AssertionError("unexpected " + e);
      }
    }
  }

  @Test
  void streamsTheReferenceTokensOneByOne() {
    TestProbe<GenerationEvent> events = testKit.createTestProbe();
    SamplingParams greedy = SamplingParams.builder().maxNewTokens(24).ignoreEos(true).build();
    assertInstanceOf(BatchBuilder.Accepted.class, submit("stream", Fixtures.promptIds(0), greedy, events));
    List<Integer> streamed = new ArrayList<>();
    GenerationEvent.Finished f = awaitFinished(events, streamed);
    int[] expected = Fixtures.ints(Fixtures.generation(0, null).get("token_ids"));
    assertArrayEquals(expected, streamed.stream().mapToInt(Integer::intValue).toArray());
    assertArrayEquals(expected, f.result().tokenIds());
    assertEquals(FinishReason.LENGTH, f.result().finishReason());
  }

  @Test
  void refusesOverloadAtOnceAndCancelsFreeingKvBlocks() {
    SamplingParams longRun = SamplingParams.builder().maxNewTokens(1500).ignoreEos(true).build();
    List<TestProbe<GenerationEvent>> probes = new ArrayList<>();
    List<BatchBuilder.SubmitResult> results = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      TestProbe<GenerationEvent> events = testKit.createTestProbe();
      probes.add(events);
      results.add(submit("long-" + i, Fixtures.promptIds(0), longRun, events));
    }
    long rejected = results.stream().filter(r -> r instanceof BatchBuilder.Rejected).count();
    assertTrue(rejected >= 1, "a third request must be refused: " + results);
    for (BatchBuilder.SubmitResult r : results) {
      if (r instanceof BatchBuilder.Rejected rej) {
        assertInstanceOf(OverloadedException.class, rej.error());
      }
    }
    // Cancel everything accepted, as a client disconnect does; the KV blocks go back to the pool.
    for (int i = 0; i < 3; i++) {
      if (results.get(i) instanceof BatchBuilder.Accepted a) {
        builder.tell(new BatchBuilder.Cancel(a.requestId()));
        GenerationEvent.Finished f = awaitFinished(probes.get(i), new ArrayList<>());
        assertEquals(FinishReason.CANCELLED, f.result().finishReason());
        assertTrue(f.result().tokenIds().length < 1500);
      }
    }
    TestProbe<Object> wait = testKit.createTestProbe();
    wait.awaitAssert(WAIT, () -> {
      assertEquals(0, loaded.engine().stats().kvBlocksUsed());
      assertEquals(0, loaded.engine().stats().running());
      return null;
    });
    // And the builder keeps serving.
    TestProbe<GenerationEvent> again = testKit.createTestProbe();
    assertInstanceOf(BatchBuilder.Accepted.class, submit("after", Fixtures.promptIds(0),
        SamplingParams.greedy(4), again));
    assertEquals(FinishReason.LENGTH, awaitFinished(again, new ArrayList<>()).result().finishReason());
  }
}
