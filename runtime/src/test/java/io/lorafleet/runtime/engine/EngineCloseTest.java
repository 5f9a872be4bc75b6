package io.lorafleet.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.backend.ForwardBatch;
import io.lorafleet.runtime.backend.Logits;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.tokenizer.HfTokenizer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * {@link Engine#close} returns only after the loop thread has ended, so that the backend, closed next, never
 * frees memory a step still uses: here a step that outlasts the old 5-second join (a device step ignores
 * interrupts) is waited for.
 */
class EngineCloseTest {
  /** The CPU backend, with steps that wait (ignoring interrupts) until released. */
  static final class HeldBackend extends DelegatingCpuBackend {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicLong stepReturned = new AtomicLong();

    HeldBackend(LlamaModel m) {
      super(m);
    }

    @Override
    public String name() {
      return "held";
    }

    @Override
    public Logits forward(ForwardBatch batch) {
      entered.countDown();
      boolean done = false;
      while (!done) {
        try {
          done = release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          // a device step is not interruptible
        }
      }
      Logits l = cpu.forward(batch);
      stepReturned.set(System.nanoTime());
      return l;
    }
  }

  @Test
  void closeWaitsForTheStepUnderWay() throws Exception {
    try (LlamaModel m = LlamaModel.load(Fixtures.model()); HfTokenizer tok = HfTokenizer.load(Fixtures.model())) {
      HeldBackend backend = new HeldBackend(m);
      Engine engine = new Engine(backend, tok, m.eosTokenIds(), EngineConfig.DEFAULTS.withKvCacheBytes(8L << 20));
      engine.start();
      engine.submit(new GenerateRequest("r", Fixtures.promptIds(0), null, SamplingParams.greedy(4)),
          new GenerationListener() {
            @Override
            public void onToken(String requestId, TokenOutput token) {}

            @Override
            public void onFinish(GenerationResult result) {}
          });
      assertTrue(backend.entered.await(30, TimeUnit.SECONDS), "a step started");
      AtomicLong closed = new AtomicLong();
      Thread closer = Thread.ofPlatform().start(() -> {
        engine.close();
        closed.set(System.nanoTime());
      });
      closer.join(6000);
      assertTrue(closer.isAlive(), "close still waits for the step after more than the old 5-second join");
      assertFalse(closed.get() != 0);
      backend.release.countDown();
      closer.join(30_000);
      assertFalse(closer.isAlive(), "close returned once the step ended");
      assertTrue(backend.stepReturned.get() != 0 && backend.stepReturned.get() < closed.get(),
          "the step ended before close returned");
      backend.close();
    }
  }
}
