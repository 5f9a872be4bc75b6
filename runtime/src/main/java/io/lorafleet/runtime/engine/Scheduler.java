package io.lorafleet.runtime.engine;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides each step's batch. Pure bookkeeping: no math, no I/O.
 *
 * <p>Per step, within {@code maxBatchTokens}: every running sequence first (oldest first: one token for
 * those decoding, the next chunk for those still in prefill), growing their block tables; when the pool
 * runs dry the newest running sequence is preempted (its blocks freed, recomputed later). Then, if nothing
 * was preempted, waiting sequences are admitted round-robin across adapters while the token budget,
 * {@code maxNumSeqs}, {@code maxLorasPerBatch} and free blocks allow. A sequence is admitted only when the
 * pool can hold its whole prompt plus one token: admission queues rather than overcommits.
 */
public final class Scheduler {
  private final SchedulerConfig config;
  private final KvBlockPool pool;
  private final FairQueue waiting = new FairQueue();
  private final List<Sequence> running = new ArrayList<>();

  public Scheduler(SchedulerConfig config, KvBlockPool pool) {
    this.config = config;
    this.pool = pool;
  }

  public SchedulerConfig config() {
    return config;
  }

  public KvBlockPool pool() {
    return pool;
  }

  public void add(Sequence s) {
    s.setStatus(Sequence.Status.WAITING);
    waiting.add(s);
  }

  public int numWaiting() {
    return waiting.size();
  }

  public int numRunning() {
    return running.size();
  }

  public boolean hasWork() {
    return !running.isEmpty() || !waiting.isEmpty();
  }

  public List<Sequence> running() {
    return List.copyOf(running);
  }

  public SchedulerOutput schedule() {
    int budget = config.maxBatchTokens();
    List<ScheduledSequence> out = new ArrayList<>();
    List<Sequence> preempted = new ArrayList<>();

    int i = 0;
    while (i < running.size() && budget > 0) {
      Sequence s = running.get(i);
      int n = Math.min(s.numUncomputed(), budget);
      int need = pool.blocksFor(s.numComputed() + n) - s.blockTable().length;
      boolean selfPreempted = false;
      while (need > pool.numFree()) {
        Sequence victim = running.getLast();
        preempt(victim);
        preempted.add(victim);
        if (victim == s) {
          selfPreempted = true;
          break;
        }
      }
      if (selfPreempted) {
        break;
      }
      if (need > 0) {
        s.addBlocks(pool.allocate(need));
      }
      out.add(new ScheduledSequence(s, n));
      budget -= n;
      i++;
    }

    if (preempted.isEmpty()) {
      Set<String> adapters = new HashSet<>();
      for (Sequence s : running) {
        adapters.add(s.adapterKey());
      }
      while (budget > 0 && running.size() < config.maxNumSeqs()) {
        Sequence s = waiting.peek(seq -> loraAllowed(adapters, seq));
        if (s == null || pool.blocksFor(s.numTokens() + 1) > pool.numFree()) {
          break;
        }
        waiting.take(s);
        int n = Math.min(s.numUncomputed(), budget);
        s.addBlocks(pool.allocate(pool.blocksFor(s.numComputed() + n) - s.blockTable().length));
        s.setStatus(Sequence.Status.RUNNING);
        running.add(s);
        adapters.add(s.adapterKey());
        out.add(new ScheduledSequence(s, n));
        budget -= n;
      }
    }
    return new SchedulerOutput(out, preempted);
  }

  private boolean loraAllowed(Set<String> adaptersRunning, Sequence s) {
    if (config.maxLorasPerBatch() == 0 || s.adapterKey().isEmpty() || adaptersRunning.contains(s.adapterKey())) {
      return true;
    }
    long loras = adaptersRunning.stream().filter(k -> !k.isEmpty()).count();
    return loras < config.maxLorasPerBatch();
  }

  private void preempt(Sequence s) {
    running.remove(s);
    freeBlocks(s);
    s.resetCache();
    s.countPreemption();
    s.setStatus(Sequence.Status.WAITING);
    waiting.addPreempted(s);
  }

  /** Removes a finished sequence from the running set and returns its blocks. */
  public void finish(Sequence s) {
    running.remove(s);
    freeBlocks(s);
    s.setStatus(Sequence.Status.FINISHED);
  }

  /** Removes a sequence wherever it is (cancellation); returns whether it was found. */
  public boolean abort(Sequence s) {
    boolean found = running.remove(s) || waiting.remove(s);
    freeBlocks(s);
    s.resetCache();
    s.setStatus(Sequence.Status.FINISHED);
    return found;
  }

  private void freeBlocks(Sequence s) {
    for (int b : s.blockTable()) {
      pool.free(b);
    }
    s.resetCache();
  }
}
