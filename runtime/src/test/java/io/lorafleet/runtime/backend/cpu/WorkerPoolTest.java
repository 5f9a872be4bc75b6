package io.lorafleet.runtime.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {
  @Test
  void everyIndexRunsExactlyOnceInEveryLoop() {
    for (int threads : new int[] {1, 2, 3}) {
      try (WorkerPool pool = new WorkerPool(threads)) {
        for (int round = 0; round < 300; round++) {
          int n = 1 + round * 7 % 97;
          int grain = 1 + round % 5;
          AtomicIntegerArray seen = new AtomicIntegerArray(n);
          pool.parallelFor(n, grain, (w, s, e) -> {
            assertTrue(w >= 0 && w < threads);
            for (int i = s; i < e; i++) {
              seen.incrementAndGet(i);
            }
          });
          for (int i = 0; i < n; i++) {
            assertEquals(1, seen.get(i), "index " + i + " of " + n + " with " + threads + " threads");
          }
        }
      }
    }
  }

  @Test
  void theCallerTakesOverTheWorkOfAStalledHelper() throws InterruptedException {
    try (WorkerPool pool = new WorkerPool(2)) {
      CountDownLatch release = new CountDownLatch(1);
      int n = 64;
      AtomicIntegerArray by = new AtomicIntegerArray(n);
      AtomicInteger byCaller = new AtomicInteger();
      pool.parallelFor(n, 1, (w, s, e) -> {
        by.set(s, w);
        if (w == 1) {
          // The helper stalls on its first chunk until the caller has done everything else.
          try {
            release.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
          }
        } else if (byCaller.incrementAndGet() == n - 1) {
          release.countDown();
        }
      });
      int byHelper = 0;
      for (int i = 0; i < n; i++) {
        byHelper += by.get(i);
      }
      assertTrue(byHelper <= 1, "the helper ran " + byHelper + " chunks while stalled");
    }
  }

  @Test
  void aFailingBodyIsRethrownAndThePoolKeepsWorking() {
    try (WorkerPool pool = new WorkerPool(2)) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.parallelFor(100, 1, (w, s, x) -> {
        if (s == 77) {
          throw new IllegalStateException("chunk 77");
        }
      }));
      assertEquals("chunk 77", e.getMessage());
      AtomicIntegerArray seen = new AtomicIntegerArray(50);
      pool.parallelFor(50, 1, (w, s, x) -> seen.incrementAndGet(s));
      for (int i = 0; i < 50; i++) {
        assertEquals(1, seen.get(i));
      }
    }
  }

  @Test
  void aClosedPoolRefusesLoops() {
    WorkerPool pool = new WorkerPool(2);
    pool.close();
    assertThrows(IllegalStateException.class, () -> pool.parallelFor(10, 1, (w, s, e) -> {}));
  }
}
