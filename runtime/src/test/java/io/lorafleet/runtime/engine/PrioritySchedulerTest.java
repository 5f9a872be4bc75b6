package io.lorafleet.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.errors.InvalidRequestException;
import io.lorafleet.runtime.format.LlamaConfig;
import io.lorafleet.runtime.model.LoraAdapter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Priority classes in the scheduler alone, driven step by step with a clock of the test's own: admission by
 * class, fairness across adapters within a class, aging, and preemption of the least urgent class.
 */
class PrioritySchedulerTest {
  private static final LlamaConfig BASE = LlamaConfig.load(Fixtures.model());
  private static final LoraAdapter A = LoraAdapter.load("a", Fixtures.adapter("adapter-qv-r8"), BASE, 0);
  private static final LoraAdapter B = LoraAdapter.load("b", Fixtures.adapter("adapter-mlp-r8"), BASE, 0);
  private static final LoraAdapter C = LoraAdapter.load("c", Fixtures.adapter("adapter-kod-r8"), BASE, 0);
  private static final long SECOND = 1_000_000_000L;
  private static final GenerationListener NONE = new GenerationListener() {
    @Override
    public void onToken(String requestId, TokenOutput token) {}

    @Override
    public void onFinish(GenerationResult result) {}
  };
  private long order;

  private Sequence seq(String id, LoraAdapter adapter, PriorityClass c, int promptLen, int maxNew) {
    return new Sequence(new GenerateRequest(id, new int[promptLen], adapter, SamplingParams.greedy(maxNew), c), NONE,
        order++);
  }

  /** Pretends the model ran the step: advances computed counts and appends a token where one is sampled. */
  private static void complete(SchedulerOutput out) {
    for (ScheduledSequence sc : out.scheduled()) {
      boolean samples = sc.samplesAfter();
      sc.sequence().advance(sc.numTokens());
      if (samples) {
        sc.sequence().append(7);
      }
    }
  }

  private static List<String> ids(SchedulerOutput out) {
    return out.scheduled().stream().map(sc -> sc.sequence().requestId()).toList();
  }

  private static SchedulerConfig config(int maxNumSeqs, long agingNanos, boolean preempt) {
    return new SchedulerConfig(maxNumSeqs, 1000, 0, false, agingNanos, preempt);
  }

  @Test
  void interactiveIsAdmittedBeforeBatchThatArrivedEarlier() {
    Scheduler s = new Scheduler(config(2, 0, true), new KvBlockPool(100, 16));
    s.add(seq("batch-0", null, PriorityClass.BATCH, 4, 10), 0);
    s.add(seq("batch-1", null, PriorityClass.BATCH, 4, 10), 0);
    s.add(seq("standard-0", null, PriorityClass.STANDARD, 4, 10), 1);
    s.add(seq("interactive-0", null, PriorityClass.INTERACTIVE, 4, 10), 2);
    // Two slots: the interactive and the standard one, though both batch requests came first.
    assertEquals(List.of("interactive-0", "standard-0"), ids(s.schedule(3)));
    assertEquals(2, s.numWaiting(PriorityClass.BATCH));
    assertEquals(1, s.admitted(PriorityClass.INTERACTIVE));
    assertEquals(0, s.admitted(PriorityClass.BATCH));
  }

  @Test
  void withinAClassAdaptersTakeTurns() {
    Scheduler s = new Scheduler(config(4, 0, false), new KvBlockPool(1000, 16));
    for (int i = 0; i < 10; i++) {
      s.add(seq("a" + i, A, PriorityClass.BATCH, 4, 100), 0);
    }
    for (int i = 0; i < 10; i++) {
      s.add(seq("ia" + i, A, PriorityClass.INTERACTIVE, 4, 100), 0);
    }
    s.add(seq("ib0", B, PriorityClass.INTERACTIVE, 4, 100), 0);
    s.add(seq("ic0", C, PriorityClass.INTERACTIVE, 4, 100), 0);
    s.add(seq("b0", B, PriorityClass.BATCH, 4, 100), 0);
    // Interactive first, one per adapter in turn (not the first four of "a"); no batch while interactive waits.
    assertEquals(List.of("ia0", "ib0", "ic0", "ia1"), ids(s.schedule(1)));
    assertEquals(8, s.numWaiting(PriorityClass.INTERACTIVE));
    assertEquals(11, s.numWaiting(PriorityClass.BATCH));
  }

  @Test
  void batchRotatesAcrossAdaptersOnceNothingMoreUrgentWaits() {
    Scheduler s = new Scheduler(config(3, 0, false), new KvBlockPool(1000, 16));
    for (int i = 0; i < 5; i++) {
      s.add(seq("a" + i, A, PriorityClass.BATCH, 4, 100), 0);
    }
    s.add(seq("b0", B, PriorityClass.BATCH, 4, 100), 0);
    s.add(seq("base0", null, PriorityClass.BATCH, 4, 100), 0);
    assertEquals(List.of("a0", "b0", "base0"), ids(s.schedule(1)));
  }

  @Test
  void agingAdmitsABatchSequenceAfterItsDeadlineUnderASteadyInteractiveStream() {
    long aging = 2 * SECOND;
    Scheduler s = new Scheduler(config(1, aging, true), new KvBlockPool(1000, 16));
    Sequence batch = seq("batch", null, PriorityClass.BATCH, 4, 1);
    s.add(batch, 0);
    // One slot; every 100 ms a new interactive request arrives and the running one finishes: without aging
    // the batch request would wait forever.
    long admittedAt = -1;
    int n = 0;
    for (long t = 0; t <= 10 * SECOND && admittedAt < 0; t += SECOND / 10) {
      s.add(seq("i" + n++, null, PriorityClass.INTERACTIVE, 4, 1), t);
      SchedulerOutput out = s.schedule(t);
      assertEquals(1, out.scheduled().size(), "the slot is always in use");
      Sequence ran = out.scheduled().getFirst().sequence();
      complete(out);
      s.finish(ran);
      if (ran == batch) {
        admittedAt = t;
      }
    }
    // Batch -> standard after 2 s, standard -> interactive 2 s later, then behind the one interactive request
    // already queued.
    assertTrue(admittedAt >= 2 * aging, "not before its class rose twice: " + admittedAt);
    assertTrue(admittedAt <= 2 * aging + SECOND / 2, "soon after: " + admittedAt);
    assertEquals(1, s.promotions(PriorityClass.BATCH));
    assertEquals(1, s.promotions(PriorityClass.STANDARD));
    assertEquals(PriorityClass.BATCH, batch.priority(), "the request keeps its class (metrics count it there)");
  }

  @Test
  void withoutAgingBatchWaitsWhileInteractiveKeepsComing() {
    Scheduler s = new Scheduler(config(1, 0, true), new KvBlockPool(1000, 16));
    Sequence batch = seq("batch", null, PriorityClass.BATCH, 4, 1);
    s.add(batch, 0);
    for (int i = 0; i < 100; i++) {
      s.add(seq("i" + i, null, PriorityClass.INTERACTIVE, 4, 1), i * SECOND);
      SchedulerOutput out = s.schedule(i * SECOND);
      assertFalse(ids(out).contains("batch"));
      complete(out);
      s.finish(out.scheduled().getFirst().sequence());
    }
  }

  @Test
  void agingRaisesOneSequencePerClassPerInterval() {
    long aging = SECOND;
    Scheduler s = new Scheduler(config(1, aging, false), new KvBlockPool(1000, 16));
    Sequence running = seq("running", null, PriorityClass.INTERACTIVE, 4, 1000);
    s.add(running, 0);
    complete(s.schedule(0)); // holds the one slot from now on
    for (int i = 0; i < 50; i++) {
      s.add(seq("b" + i, null, PriorityClass.BATCH, 4, 10), 0);
    }
    for (long t = 0; t <= 10 * aging; t += aging / 10) {
      complete(s.schedule(t));
    }
    // A flood of batch work does not become a flood of interactive work: one per class per second.
    assertTrue(s.numWaiting(PriorityClass.INTERACTIVE) <= 10, "interactive " + s.numWaiting(PriorityClass.INTERACTIVE));
    assertTrue(s.numWaiting(PriorityClass.BATCH) >= 39, "batch " + s.numWaiting(PriorityClass.BATCH));
    assertEquals(10, s.promotions(PriorityClass.BATCH)); // at 1, 2, .. 10 s
    assertEquals(9, s.promotions(PriorityClass.STANDARD)); // at 2, 3, .. 10 s
    assertEquals(9, s.numWaiting(PriorityClass.INTERACTIVE));
  }

  @Test
  void kvPressurePreemptsBatchBeforeAnOlderAndANewerInteractiveSequence() {
    KvBlockPool pool = new KvBlockPool(6, 4);
    Scheduler s = new Scheduler(config(8, 0, false), pool);
    Sequence old = seq("old-interactive", null, PriorityClass.INTERACTIVE, 7, 20);
    Sequence batch = seq("batch", null, PriorityClass.BATCH, 7, 20);
    s.add(old, 0);
    s.add(batch, 0);
    complete(s.schedule(0)); // 2 + 2 blocks
    Sequence young = seq("young-interactive", null, PriorityClass.INTERACTIVE, 7, 20);
    s.add(young, 1);
    complete(s.schedule(1)); // 2 more: the pool is full
    assertEquals(0, pool.numFree());
    SchedulerOutput o = s.schedule(2); // the older two need a third block for their token 9
    // The batch sequence goes, though it is older than "young-interactive" (the newest would have gone before).
    assertEquals(List.of(batch), o.preempted());
    assertEquals(List.of("old-interactive", "young-interactive"), ids(o));
    assertEquals(1, s.preemptions(PriorityClass.BATCH));
    assertEquals(0, s.preemptions(PriorityClass.INTERACTIVE));
    assertEquals(0, batch.numComputed(), "recomputed later, not lost");
    assertEquals(1, s.numWaiting(PriorityClass.BATCH));
  }

  @Test
  void aWaitingInteractiveSequencePreemptsRunningBatchForASlotAndForBlocks() {
    KvBlockPool pool = new KvBlockPool(8, 4);
    Scheduler s = new Scheduler(config(2, 0, true), pool);
    Sequence b0 = seq("b0", null, PriorityClass.BATCH, 7, 20);
    Sequence b1 = seq("b1", null, PriorityClass.BATCH, 7, 20);
    s.add(b0, 0);
    s.add(b1, 0);
    complete(s.schedule(0));
    // No free slot: the newest batch sequence makes room, in the same step.
    Sequence i0 = seq("i0", null, PriorityClass.INTERACTIVE, 7, 20);
    s.add(i0, 1);
    SchedulerOutput o = s.schedule(1);
    assertEquals(List.of(b1), o.preempted());
    assertEquals(List.of("b0", "i0"), ids(o));
    assertEquals(List.of(i0, b0), s.running(), "the most urgent class runs first");
    complete(o);
    // A standard sequence does not preempt the interactive one, only the batch one.
    Sequence st = seq("st", null, PriorityClass.STANDARD, 7, 20);
    s.add(st, 2);
    SchedulerOutput o2 = s.schedule(2);
    assertEquals(List.of(b0), o2.preempted());
    assertEquals(List.of("i0", "st"), ids(o2));
    assertEquals(2, s.numWaiting(PriorityClass.BATCH));
    // Without preemption for priority the standard one would have waited.
    Scheduler off = new Scheduler(config(1, 0, false), new KvBlockPool(8, 4));
    off.add(seq("b", null, PriorityClass.BATCH, 7, 20), 0);
    complete(off.schedule(0));
    off.add(seq("i", null, PriorityClass.INTERACTIVE, 7, 20), 1);
    assertEquals(List.of("b"), ids(off.schedule(1)));
  }

  @Test
  void aWaitingSequencePreemptsForKvBlocksOnlyWhenThatMakesRoom() {
    KvBlockPool pool = new KvBlockPool(6, 4);
    Scheduler s = new Scheduler(config(8, 0, true), pool);
    Sequence b = seq("b", null, PriorityClass.BATCH, 11, 20); // 3 blocks
    Sequence st = seq("st", null, PriorityClass.STANDARD, 11, 20); // 3 blocks
    s.add(b, 0);
    s.add(st, 0);
    complete(s.schedule(0));
    assertEquals(0, pool.numFree());
    // Needs 5 blocks; preempting the batch sequence frees only 3 (the other one is of its own class): nothing
    // is preempted, it waits.
    Sequence big = seq("big", null, PriorityClass.STANDARD, 19, 5);
    s.add(big, 1);
    SchedulerOutput o = s.schedule(1);
    assertEquals(List.of(), o.preempted());
    assertEquals(List.of("st", "b"), ids(o));
    // Needs 3: the batch sequence makes room (the step is planned again, nothing ran).
    assertTrue(s.abort(big));
    Sequence small = seq("small", null, PriorityClass.STANDARD, 9, 5);
    s.add(small, 2);
    SchedulerOutput o2 = s.schedule(2);
    assertEquals(List.of(b), o2.preempted());
    assertTrue(ids(o2).contains("small"));
  }

  @Test
  void classesParseFromNamesAndVllmIntegers() {
    assertEquals(PriorityClass.INTERACTIVE, PriorityClass.parse("Interactive"));
    assertEquals(PriorityClass.BATCH, PriorityClass.parse("2"));
    assertEquals(PriorityClass.STANDARD, PriorityClass.ofLevel(1));
    InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> PriorityClass.parse("urgent"));
    assertTrue(e.getMessage().contains("\"interactive\", \"standard\", \"batch\""), e.getMessage());
    assertThrows(InvalidRequestException.class, () -> PriorityClass.ofLevel(3));
    assertThrows(InvalidRequestException.class, () -> PriorityClass.ofLevel(-1));
    assertEquals(PriorityClass.STANDARD, PriorityClass.fromWire(""));
    assertEquals(PriorityClass.STANDARD, PriorityClass.fromWire("realtime"), "a newer node's class reads as standard");
    assertEquals(PriorityClass.BATCH, PriorityClass.resolve(PriorityClass.BATCH, PriorityClass.INTERACTIVE));
    assertEquals(PriorityClass.STANDARD, PriorityClass.resolve(PriorityClass.INTERACTIVE, PriorityClass.STANDARD),
        "a request cannot rise above its ceiling");
    assertEquals(PriorityClass.INTERACTIVE, PriorityClass.resolve(null, PriorityClass.INTERACTIVE));
    assertEquals(PriorityClass.STANDARD, new GenerateRequest("r", new int[] {1}, null, SamplingParams.greedy(1))
        .priority());
  }
}
