package io.lorafleet.actors.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.lorafleet.actors.adapters.AdapterStore;
import io.lorafleet.actors.batch.BatchBuilder;
import io.lorafleet.actors.batch.GenerationEvent;
import io.lorafleet.runtime.engine.FinishReason;
import io.lorafleet.runtime.engine.GenerationResult;
import io.lorafleet.runtime.engine.PriorityClass;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.errors.OverloadedException;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The generation pipeline against probes for the store and the batch builder: the lease is taken and
 * returned by the pipeline exactly once, whether the request runs to its end, is cancelled, or its adapter
 * answers only after the pipeline gave up waiting.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServedGenerationTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  private record Parts(TestProbe<AdapterStore.Command> store, TestProbe<BatchBuilder.Command> batch,
      TestProbe<GenerationEvent> events, TestProbe<GenerationService.Admission> admission,
      ActorRef<ServedGeneration.Command> pipeline) {}

  private Parts start(Duration adapterWait) {
    TestProbe<AdapterStore.Command> store = testKit.createTestProbe();
    TestProbe<BatchBuilder.Command> batch = testKit.createTestProbe();
    TestProbe<GenerationEvent> events = testKit.createTestProbe();
    TestProbe<GenerationService.Admission> admission = testKit.createTestProbe();
    ActorRef<ServedGeneration.Command> pipeline = testKit.spawn(ServedGeneration.create(
        new ServedGeneration.Order("r1", new int[] {1, 2}, "a", null, SamplingParams.greedy(2), PriorityClass.INTERACTIVE),
        new ServedGeneration.Local(events.ref(), admission.ref()), store.ref(), batch.ref(), adapterWait));
    return new Parts(store, batch, events, admission, pipeline);
  }

  private static GenerationResult result() {
    return new GenerationResult("r1", "a", new int[] {1, 2}, new int[] {7}, "x", new float[] {-1f},
        List.of(List.of()), null, FinishReason.LENGTH, 0, 0, 0, 0);
  }

  @Test
  void theLeaseTakenForARequestIsReturnedWhenTheEngineIsDone() {
    Parts p = start(WAIT);
    AdapterStore.Acquire acquire = p.store().expectMessageClass(AdapterStore.Acquire.class, WAIT);
    assertEquals("a", acquire.id());
    acquire.replyTo().tell(new AdapterStore.Leased(null));
    BatchBuilder.Submit submit = p.batch().expectMessageClass(BatchBuilder.Submit.class, WAIT);
    assertEquals("r1", submit.request().requestId());
    assertEquals(PriorityClass.INTERACTIVE, submit.request().priority(), "the order's class reaches the engine");
    // An event that overtakes the admission is kept until it.
    submit.events().tell(new GenerationEvent.Finished(result()));
    submit.replyTo().tell(new BatchBuilder.Accepted("r1"));
    assertInstanceOf(GenerationService.Admitted.class, p.admission().receiveMessage(WAIT));
    assertInstanceOf(GenerationEvent.Finished.class, p.events().receiveMessage(WAIT));
    p.store().expectNoMessage(Duration.ofMillis(200));
    submit.events().tell(GenerationEvent.End.INSTANCE);
    assertEquals(GenerationEvent.End.INSTANCE, p.events().receiveMessage(WAIT));
    assertEquals("a", p.store().expectMessageClass(AdapterStore.Release.class, WAIT).id());
    p.store().expectTerminated(p.pipeline(), WAIT);
  }

  @Test
  void aCancelledRequestIsCancelledInTheEngineAndStillReturnsItsLeaseOnlyAtItsEnd() {
    Parts p = start(WAIT);
    p.store().expectMessageClass(AdapterStore.Acquire.class, WAIT).replyTo().tell(new AdapterStore.Leased(null));
    BatchBuilder.Submit submit = p.batch().expectMessageClass(BatchBuilder.Submit.class, WAIT);
    submit.replyTo().tell(new BatchBuilder.Accepted("r1"));
    p.admission().receiveMessage(WAIT);
    p.pipeline().tell(ServedGeneration.Stop.INSTANCE);
    assertEquals("r1", p.batch().expectMessageClass(BatchBuilder.Cancel.class, WAIT).requestId());
    p.store().expectNoMessage(Duration.ofMillis(200));
    submit.events().tell(new GenerationEvent.Finished(result()));
    submit.events().tell(GenerationEvent.End.INSTANCE);
    p.store().expectMessageClass(AdapterStore.Release.class, WAIT);
  }

  @Test
  void aRequestCancelledWhileItsAdapterLoadsIsAnsweredAtOnceAndNeverSubmitted() {
    Parts p = start(WAIT);
    AdapterStore.Acquire acquire = p.store().expectMessageClass(AdapterStore.Acquire.class, WAIT);
    p.pipeline().tell(ServedGeneration.Stop.INSTANCE);
    // The requester's wait ends now, not when the adapter has loaded.
    var refused = assertInstanceOf(GenerationService.NotAdmitted.class, p.admission().receiveMessage(WAIT));
    assertInstanceOf(RequestCancelledException.class, refused.error());
    assertEquals(GenerationEvent.End.INSTANCE, p.events().receiveMessage(WAIT));
    // The load finishes: the lease goes straight back, nothing reaches the engine.
    acquire.replyTo().tell(new AdapterStore.Leased(null));
    assertEquals("a", p.store().expectMessageClass(AdapterStore.Release.class, WAIT).id());
    p.batch().expectNoMessage(Duration.ofMillis(200));
    p.store().expectTerminated(p.pipeline(), WAIT);
  }

  @Test
  void aLeaseThatComesAfterTheTimeoutIsReturnedAtOnce() {
    Parts p = start(Duration.ofMillis(100));
    AdapterStore.Acquire acquire = p.store().expectMessageClass(AdapterStore.Acquire.class, WAIT);
    var refused = assertInstanceOf(GenerationService.NotAdmitted.class, p.admission().receiveMessage(WAIT));
    assertInstanceOf(OverloadedException.class, refused.error());
    assertEquals(GenerationEvent.End.INSTANCE, p.events().receiveMessage(WAIT));
    // The store answers late: the pipeline gives the lease back and never submits.
    acquire.replyTo().tell(new AdapterStore.Leased(null));
    assertEquals("a", p.store().expectMessageClass(AdapterStore.Release.class, WAIT).id());
    p.batch().expectNoMessage(Duration.ofMillis(200));
    p.store().expectTerminated(p.pipeline(), WAIT);
  }

  @Test
  void aRefusedSubmitReturnsTheLeaseAndSaysWhy() {
    Parts p = start(WAIT);
    p.store().expectMessageClass(AdapterStore.Acquire.class, WAIT).replyTo().tell(new AdapterStore.Leased(null));
    BatchBuilder.Submit submit = p.batch().expectMessageClass(BatchBuilder.Submit.class, WAIT);
    submit.replyTo().tell(new BatchBuilder.Rejected(new OverloadedException("queue full")));
    var refused = assertInstanceOf(GenerationService.NotAdmitted.class, p.admission().receiveMessage(WAIT));
    assertEquals("queue full", refused.error().getMessage());
    p.store().expectMessageClass(AdapterStore.Release.class, WAIT);
    p.store().expectTerminated(p.pipeline(), WAIT);
  }
}
