package io.lorafleet.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.format.LlamaConfig;
import io.lorafleet.runtime.model.LoraAdapter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The scheduler alone: pure bookkeeping, driven step by step without a model. */
class SchedulerTest {
  private static final LlamaConfig BASE = LlamaConfig.load(Fixtures.model());
  private static final LoraAdapter A = LoraAdapter.load("a", Fixtures.adapter("adapter-qv-r8"), BASE, 0);
  private static final LoraAdapter B = LoraAdapter.load("b", Fixtures.adapter("adapter-mlp-r8"), BASE, 0);
  private static final LoraAdapter C = LoraAdapter.load("c", Fixtures.adapter("adapter-kod-r8"), BASE, 0);
  private static final GenerationListener NONE = new GenerationListener() {
    @Override
    public void onToken(String requestId, TokenOutput token) {}

    @Override
    public void onFinish(GenerationResult result) {}
  };
  private long order;

  private Sequence seq(String id, LoraAdapter adapter, int promptLen, int maxNew) {
    return new Sequence(new GenerateRequest(id, new int[promptLen], adapter, SamplingParams.greedy(maxNew)), NONE, order++);
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

  @Test
  void adapterWithManyQueuedRequestsDoesNotStarveTheOthers() {
    Scheduler s = new Scheduler(new SchedulerConfig(3, 1000, 0), new KvBlockPool(1000, 16));
    for (int i = 0; i < 20; i++) {
      s.add(seq("a" + i, A, 4, 100));
    }
    s.add(seq("b0", B, 4, 100));
    s.add(seq("c0", C, 4, 100));
    s.add(seq("base0", null, 4, 100));
    List<String> admitted = new ArrayList<>();
    for (ScheduledSequence sc : s.schedule().scheduled()) {
      admitted.add(sc.sequence().requestId());
    }
    // Round-robin across adapters: one of each, not the first three of "a".
    assertEquals(List.of("a0", "b0", "c0"), admitted);
  }

  @Test
  void prefillIsChunkedToTheTokenBudgetAndDecodeGoesFirst() {
    Scheduler s = new Scheduler(new SchedulerConfig(8, 10, 0), new KvBlockPool(100, 4));
    Sequence first = seq("first", null, 3, 10);
    s.add(first);
    SchedulerOutput o1 = s.schedule();
    assertEquals(3, o1.numTokens());
    complete(o1);
    Sequence longOne = seq("long", null, 25, 10);
    s.add(longOne);
    SchedulerOutput o2 = s.schedule();
    // 1 decode token for "first", then 9 prompt tokens of "long".
    assertEquals(List.of(1, 9), o2.scheduled().stream().map(ScheduledSequence::numTokens).toList());
    assertEquals(first, o2.scheduled().get(0).sequence());
    complete(o2);
    SchedulerOutput o3 = s.schedule();
    assertEquals(List.of(1, 9), o3.scheduled().stream().map(ScheduledSequence::numTokens).toList());
    complete(o3);
    SchedulerOutput o4 = s.schedule();
    assertEquals(List.of(1, 7), o4.scheduled().stream().map(ScheduledSequence::numTokens).toList());
    assertTrue(o4.scheduled().get(1).samplesAfter(), "the last chunk samples");
    assertEquals(7, longOne.blockTable().length, "25 tokens in blocks of 4");
  }

  @Test
  void admissionQueuesWhenTheWholePromptDoesNotFit() {
    KvBlockPool pool = new KvBlockPool(10, 4);
    Scheduler s = new Scheduler(new SchedulerConfig(8, 1000, 0), pool);
    s.add(seq("big", null, 30, 5)); // needs 8 blocks for 31 tokens
    s.add(seq("second", null, 10, 5)); // needs 3 more: only 2 left
    SchedulerOutput o = s.schedule();
    assertEquals(1, o.scheduled().size());
    assertEquals(1, s.numWaiting());
    assertEquals(8, pool.numUsed());
  }

  @Test
  void fullPoolPreemptsTheNewestAndItResumesLater() {
    KvBlockPool pool = new KvBlockPool(4, 4);
    Scheduler s = new Scheduler(new SchedulerConfig(8, 1000, 0), pool);
    Sequence old = seq("old", null, 7, 20);
    Sequence young = seq("young", null, 7, 20);
    s.add(old);
    s.add(young);
    complete(s.schedule()); // both prefilled 7 tokens and sampled one: 2 blocks each, pool full
    assertEquals(0, pool.numFree());
    complete(s.schedule()); // token 8 still fits in the second block
    SchedulerOutput o = s.schedule(); // "old" needs a third block for token 9
    assertEquals(List.of(young), o.preempted());
    assertEquals(List.of(old), o.scheduled().stream().map(ScheduledSequence::sequence).toList());
    assertEquals(0, young.numComputed());
    assertEquals(1, young.numPreemptions());
    complete(o);
    s.finish(old);
    assertEquals(4, pool.numFree());
    SchedulerOutput again = s.schedule();
    assertEquals(young, again.scheduled().getFirst().sequence());
    assertEquals(9, again.scheduled().getFirst().numTokens(), "recomputes prompt and the generated tokens");
  }

  @Test
  void maxLorasPerBatchLimitsDistinctAdapters() {
    Scheduler s = new Scheduler(new SchedulerConfig(8, 1000, 2), new KvBlockPool(100, 16));
    s.add(seq("a", A, 4, 5));
    s.add(seq("b", B, 4, 5));
    s.add(seq("c", C, 4, 5));
    s.add(seq("base", null, 4, 5));
    s.add(seq("a2", A, 4, 5));
    List<String> ids = s.schedule().scheduled().stream().map(x -> x.sequence().requestId()).toList();
    assertEquals(List.of("a", "b", "base", "a2"), ids);
    assertEquals(1, s.numWaiting());
  }

  @Test
  void abortReturnsBlocks() {
    KvBlockPool pool = new KvBlockPool(10, 4);
    Scheduler s = new Scheduler(new SchedulerConfig(8, 1000, 0), pool);
    Sequence a = seq("a", null, 9, 5);
    s.add(a);
    s.schedule();
    assertEquals(3, pool.numUsed());
    assertTrue(s.abort(a));
    assertEquals(0, pool.numUsed());
    assertTrue(!s.hasWork());
  }

  @Test
  void blockPoolIsAllOrNothingAndRejectsDoubleFree() {
    KvBlockPool pool = new KvBlockPool(3, 16);
    assertNull(pool.allocate(4));
    int[] got = pool.allocate(3);
    assertEquals(0, pool.numFree());
    pool.free(got[0]);
    org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> pool.free(got[0]));
    assertEquals(2, pool.blocksFor(17));
  }
}
