package io.lorafleet.runtime.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that run one data-parallel loop at a time; the calling thread is worker 0 and
 * works too, so a loop costs one hand-off, not a submit and a join per thread.
 *
 * <p>A loop's chunks are split into one contiguous run per worker: worker {@code w} takes chunks from the
 * front of its own run (so each thread streams its own part of a weight matrix, in order), and a worker
 * whose run is empty takes chunks from the back of the others' runs. A helper that is preempted or late
 * therefore delays the loop by at most the chunk it is running: the caller finishes the rest itself.
 *
 * <p>Helpers spin for a short while after each loop (the next loop of a forward step usually follows within
 * microseconds), then park until the next one.
 */
public final class WorkerPool implements AutoCloseable {
  /** Body of a parallel loop: handles {@code [start, end)} on worker {@code worker}. */
  @FunctionalInterface
  public interface RangeBody {
    void run(int worker, int start, int end);
  }

  /** Loops estimated below this many multiply-adds run on the calling thread: handing them out costs more. */
  public static final long MIN_PARALLEL_WORK = 1L << 18;

  /** How long an idle helper spins before it parks. */
  private static final long SPIN_NANOS = Long.getLong("lorafleet.cpu.spin-micros", 200) * 1000;

  /** Stride between the workers' run states in {@link Loop#runs} (keeps them on separate cache lines). */
  private static final int PAD = 16;

  private final int threads;
  private final Thread[] helpers;
  private final AtomicInteger sleeping = new AtomicInteger();
  private volatile Loop current;
  private volatile boolean closed;

  /**
   * One loop. Run state of worker {@code w} at {@code runs[w * PAD]}: next chunk in the high 32 bits, end of
   * its run (exclusive) in the low 32 bits. A fresh loop object per loop: a helper still holding an old
   * one finds its runs empty.
   */
  private static final class Loop {
    final RangeBody body;
    final int n;
    final int grain;
    final AtomicLongArray runs;
    final AtomicInteger pending;
    volatile Throwable failure;

    Loop(RangeBody body, int n, int grain, int workers) {
      this.body = body;
      this.n = n;
      this.grain = grain;
      int chunks = (n + grain - 1) / grain;
      this.runs = new AtomicLongArray(workers * PAD);
      for (int w = 0; w < workers; w++) {
        long from = (long) chunks * w / workers;
        long to = (long) chunks * (w + 1) / workers;
        runs.set(w * PAD, from << 32 | to);
      }
      this.pending = new AtomicInteger(chunks);
    }

    /** Takes the next chunk from the front of worker {@code w}'s run, or -1. */
    int takeFront(int w) {
      int i = w * PAD;
      while (true) {
        long s = runs.get(i);
        int next = (int) (s >>> 32);
        int end = (int) s;
        if (next >= end) {
          return -1;
        }
        if (runs.compareAndSet(i, s, (long) (next + 1) << 32 | end)) {
          return next;
        }
      }
    }

    /** Takes the last chunk of worker {@code w}'s run, or -1. */
    int takeBack(int w) {
      int i = w * PAD;
      while (true) {
        long s = runs.get(i);
        int next = (int) (s >>> 32);
        int end = (int) s;
        if (next >= end) {
          return -1;
        }
        if (runs.compareAndSet(i, s, (long) next << 32 | (end - 1))) {
          return end - 1;
        }
      }
    }

    /** Runs chunks until none is left to take: its own run first, then the others' from their ends. */
    void work(int w, int workers) {
      int c;
      while ((c = takeFront(w)) >= 0) {
        runChunk(w, c);
      }
      for (int d = 1; d < workers; d++) {
        int victim = (w + d) % workers;
        while ((c = takeBack(victim)) >= 0) {
          runChunk(w, c);
        }
      }
    }

    private void runChunk(int w, int c) {
      try {
        if (failure == null) {
          int s = c * grain;
          body.run(w, s, Math.min(n, s + grain));
        }
      } catch (Throwable t) {
        failure = t;
      } finally {
        pending.decrementAndGet();
      }
    }
  }

  public WorkerPool(int threads) {
    this.threads = Math.max(1, threads);
    this.helpers = new Thread[this.threads - 1];
    for (int i = 0; i < helpers.length; i++) {
      int worker = i + 1;
      helpers[i] = Thread.ofPlatform().daemon().name("lorafleet-cpu-" + worker).unstarted(() -> helperLoop(worker));
      helpers[i].start();
    }
  }

  public int threads() {
    return threads;
  }

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

  /**
   * Runs {@code body} over {@code [0, n)} in chunks of {@code grain}, returning when all are done. Not
   * reentrant: one loop at a time, started from one thread.
   */
  public void parallelFor(int n, int grain, RangeBody body) {
    if (n <= 0) {
      return;
    }
    int g = Math.max(1, grain);
    int chunks = (n + g - 1) / g;
    if (threads == 1 || chunks == 1) {
      body.run(0, 0, n);
      return;
    }
    if (closed) {
      throw new IllegalStateException("worker pool is closed");
    }
    Loop loop = new Loop(body, n, g, threads);
    current = loop;
    if (sleeping.get() > 0) {
      for (Thread h : helpers) {
        LockSupport.unpark(h);
      }
    }
    loop.work(0, threads);
    // Chunks still running on helpers: wait for them (they are short).
    int spins = 0;
    while (loop.pending.get() > 0) {
      if (++spins < 1 << 16) {
        Thread.onSpinWait();
      } else {
        Thread.yield();
      }
    }
    if (current == loop) {
      current = null;
    }
    Throwable t = loop.failure;
    if (t instanceof RuntimeException re) {
      throw re;
    } else if (t instanceof Error e) {
      throw e;
    } else if (t != null) {
      throw new IllegalStateException(t);
    }
  }

  private void helperLoop(int worker) {
    Loop seen = null;
    while (!closed) {
      Loop loop = current;
      if (loop != null && loop != seen) {
        seen = loop;
        loop.work(worker, threads);
        continue;
      }
      waitForLoop(seen);
    }
  }

  /** Spins for {@link #SPIN_NANOS}, then parks until a loop other than {@code seen} is published. */
  private void waitForLoop(Loop seen) {
    long deadline = System.nanoTime() + SPIN_NANOS;
    while (System.nanoTime() < deadline) {
      Loop l = current;
      if ((l != null && l != seen) || closed) {
        return;
      }
      Thread.onSpinWait();
    }
    sleeping.incrementAndGet();
    try {
      while (!closed) {
        Loop l = current;
        if (l != null && l != seen) {
          return;
        }
        LockSupport.park(this);
      }
    } finally {
      sleeping.decrementAndGet();
    }
  }

  @Override
  public void close() {
    closed = true;
    for (Thread h : helpers) {
      LockSupport.unpark(h);
    }
  }
}
