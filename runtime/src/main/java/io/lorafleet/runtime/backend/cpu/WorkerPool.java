package io.lorafleet.runtime.backend.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed set of threads that run one data-parallel loop at a time. Work is handed out in chunks from a
 * shared counter, so uneven chunks balance themselves.
 */
public final class WorkerPool implements AutoCloseable {
  /** Body of a parallel loop: handles {@code [start, end)} on worker {@code worker}. */
  @FunctionalInterface
  public interface RangeBody {
    void run(int worker, int start, int end);
  }

  private final int threads;
  private final ForkJoinPool pool;

  public WorkerPool(int threads) {
    this.threads = Math.max(1, threads);
    this.pool = this.threads == 1 ? null : new ForkJoinPool(this.threads, p -> {
      var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
      t.setName("lorafleet-cpu-" + t.getPoolIndex());
      t.setDaemon(true);
      return t;
    }, null, false);
  }

  public int threads() {
    return threads;
  }

  /** Loops estimated below this many multiply-adds run on the calling thread: handing them out costs more. */
  public static final long MIN_PARALLEL_WORK = 1L << 20;

  /**
   * Like {@link #parallelFor(int, int, RangeBody)}, but runs on the calling thread when {@code work} (an
   * estimate of the loop's multiply-adds) is too small to be worth splitting.
   */
  public void parallelFor(int n, int grain, long work, RangeBody body) {
    if (work < MIN_PARALLEL_WORK) {
      if (n > 0) {
        body.run(0, 0, n);
      }
      return;
    }
    parallelFor(n, grain, body);
  }

  /** Runs {@code body} over {@code [0, n)} in chunks of {@code grain}, returning when all are done. */
  public void parallelFor(int n, int grain, RangeBody body) {
    if (n <= 0) {
      return;
    }
    int g = Math.max(1, grain);
    int chunks = (n + g - 1) / g;
    if (pool == null || chunks == 1) {
      body.run(0, 0, n);
      return;
    }
    AtomicInteger next = new AtomicInteger();
    int workers = Math.min(threads, chunks);
    List<ForkJoinTask<?>> tasks = new ArrayList<>(workers);
    for (int w = 0; w < workers; w++) {
      int worker = w;
      tasks.add(pool.submit(() -> {
        int s;
        while ((s = next.getAndAdd(g)) < n) {
          body.run(worker, s, Math.min(n, s + g));
        }
      }));
    }
    for (ForkJoinTask<?> t : tasks) {
      t.join();
    }
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }
}
