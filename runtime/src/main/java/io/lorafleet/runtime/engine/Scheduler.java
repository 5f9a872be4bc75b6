package io.lorafleet.runtime.engine;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides each step's batch. Pure bookkeeping: no math, no I/O.
 *
 * <p>Per step, within {@code maxBatchTokens}: every running sequence first (most urgent {@link PriorityClass}
 * first, then oldest first: one token for those decoding, the next chunk for those still in prefill), growing
 * their block tables; when the pool runs dry the running sequence of the least urgent class, newest first, is
 * preempted (its blocks freed, recomputed later). Then, if nothing was preempted, waiting sequences are
 * admitted by class first and round-robin across adapters within a class (see {@link FairQueue}) while the
 * token budget, {@code maxNumSeqs}, {@code maxLorasPerBatch} and free blocks allow. A sequence is admitted only
 * when the pool can hold its whole prompt plus one token: admission queues rather than overcommits.
 *
 * <p>Priority classes: a waiting sequence that finds no free batch slot or not enough free blocks preempts
 * running sequences of a less urgent class (least urgent, newest first; only when that makes room) when
 * {@link SchedulerConfig#preemptLowerClasses} is on; otherwise, and when no such sequence runs, it waits, and
 * nothing less urgent is admitted before it. Aging ({@link SchedulerConfig#agingNanos}) raises a sequence that
 * waited long enough by one class, so less urgent work is never starved. A preempted sequence keeps the class it
 * ran in, waits first among its class's sequences, and is recomputed (through the prefix cache when its blocks
 * are still there): it is never lost, and greedy decoding gives it the same tokens.
 *
 * <p>With {@link SchedulerConfig#prefixCaching}, admission first looks the sequence's full prompt blocks up
 * in the pool's prefix cache, by the hash chain of its {@link Sequence#cacheKey}: the leading blocks found
 * join its block table (shared, reference-counted, never copied) and count as computed, so only the rest
 * runs through the model. The last prompt token is always computed (its logits give the first output token),
 * so at most {@code (tokens - 1) / blockSize} blocks are taken from the cache; requests that want prompt
 * logprobs take none (the logprobs of cached tokens are not kept). After each step {@link #cacheComputedBlocks}
 * registers the blocks that became full, and only those: a sequence cancelled half-way through a block
 * leaves that block uncached. Cached blocks nobody holds count as free and are reclaimed least recently
 * used first, before admission would queue or a running sequence be preempted.
 */
public final class Scheduler {
  private final SchedulerConfig config;
  private final KvBlockPool pool;
  private final FairQueue waiting;
  /** Most urgent class first; within a class, in order of admission. */
  private final List<Sequence> running = new ArrayList<>();
  private final PrefixCacheStats prefixStats = new PrefixCacheStats();
  /** First admissions and preemptions, by the class the request asked for. */
  private final long[] admitted = new long[PriorityClass.values().length];
  private final long[] preemptions = new long[PriorityClass.values().length];

  public Scheduler(SchedulerConfig config, KvBlockPool pool) {
    this.config = config;
    this.pool = pool;
    this.waiting = new FairQueue(config.agingNanos());
  }

  /** Requests of class {@code c} admitted for the first time since the start. */
  public long admitted(PriorityClass c) {
    return admitted[c.ordinal()];
  }

  /** Preemptions of sequences of class {@code c} (by their request's class) since the start. */
  public long preemptions(PriorityClass c) {
    return preemptions[c.ordinal()];
  }

  /** Sequences that left class {@code c} by aging since the start. */
  public long promotions(PriorityClass c) {
    return waiting.promotions(c);
  }

  /** Running sequences whose request asked for class {@code c}. */
  public int numRunning(PriorityClass c) {
    int n = 0;
    for (Sequence s : running) {
      n += s.priority() == c ? 1 : 0;
    }
    return n;
  }

  /** Prompt tokens looked up in the prefix cache and found there, base model and adapters apart. */
  public PrefixCacheStats prefixStats() {
    return prefixStats;
  }

  public SchedulerConfig config() {
    return config;
  }

  public KvBlockPool pool() {
    return pool;
  }

  public void add(Sequence s) {
    add(s, System.nanoTime());
  }

  /** Queues {@code s} at {@code nowNanos} (aging counts from there). */
  public void add(Sequence s, long nowNanos) {
    s.setStatus(Sequence.Status.WAITING);
    waiting.add(s, nowNanos);
  }

  public int numWaiting() {
    return waiting.size();
  }

  /** Sequences waiting in class {@code c} now (after aging: the class they wait in, not the one they asked for). */
  public int numWaiting(PriorityClass c) {
    return waiting.size(c);
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
    return schedule(System.nanoTime());
  }

  /** One step's plan at {@code nowNanos} (aging and preemption times count from it). */
  public SchedulerOutput schedule(long nowNanos) {
    waiting.age(nowNanos);
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
        Sequence victim = running.getLast(); // least urgent class, newest
        preempt(victim, nowNanos);
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
      Set<String> adapters = adaptersRunning();
      while (budget > 0) {
        Set<String> allowed = adapters;
        Sequence s = waiting.peek(seq -> loraAllowed(allowed, seq));
        if (s == null) {
          break;
        }
        if (running.size() >= config.maxNumSeqs()) {
          Sequence victim = lowerClassVictim(s);
          if (victim == null) {
            break;
          }
          budget += preemptForAdmission(victim, out, preempted, nowNanos);
          adapters = adaptersRunning();
          continue;
        }
        int[] hits = cachedPrefix(s);
        int reclaimedByHits = 0;
        for (int b : hits) {
          reclaimedByHits += pool.refCount(b) == 0 ? 1 : 0;
        }
        int need = pool.blocksFor(s.numTokens() + 1) - hits.length;
        if (need > pool.numFree() - reclaimedByHits) {
          Sequence victim = lowerClassVictim(s);
          if (victim == null || need > pool.numFree() - reclaimedByHits + blocksFreedByLowerClasses(s)) {
            break; // it waits; nothing less urgent goes before it
          }
          budget += preemptForAdmission(victim, out, preempted, nowNanos);
          adapters = adaptersRunning();
          continue;
        }
        waiting.take(s);
        if (s.numPreemptions() == 0) {
          admitted[s.priority().ordinal()]++;
        }
        if (config.prefixCaching()) {
          for (int b : hits) {
            pool.share(b);
          }
          s.addBlocks(hits);
          s.advance(hits.length * pool.blockSize());
          s.setNumBlocksOffered(hits.length);
          s.setNumCachedTokens(hits.length * pool.blockSize());
          if (!s.request().params().promptLogprobs()) { // those do not look up (see cachedPrefix)
            prefixStats.record(s.request().adapter() != null, s.numTokens(), hits.length * pool.blockSize());
          }
        }
        int n = Math.min(s.numUncomputed(), budget);
        s.addBlocks(pool.allocate(pool.blocksFor(s.numComputed() + n) - s.blockTable().length));
        s.setStatus(Sequence.Status.RUNNING);
        addRunning(s);
        adapters.add(s.adapterKey());
        out.add(new ScheduledSequence(s, n));
        budget -= n;
      }
    }
    return new SchedulerOutput(out, preempted);
  }

  private Set<String> adaptersRunning() {
    Set<String> adapters = new HashSet<>();
    for (Sequence s : running) {
      adapters.add(s.adapterKey());
    }
    return adapters;
  }

  /** Inserts {@code s} after every running sequence of its class or a more urgent one. */
  private void addRunning(Sequence s) {
    int at = running.size();
    while (at > 0 && s.schedulingClass().moreUrgentThan(running.get(at - 1).schedulingClass())) {
      at--;
    }
    running.add(at, s);
  }

  /**
   * The running sequence {@code waiting} may preempt to get in: the newest of the least urgent class, if that
   * class is less urgent than {@code waiting}'s (null otherwise, or when preempting for priority is off).
   */
  private Sequence lowerClassVictim(Sequence waiting) {
    if (!config.preemptLowerClasses() || running.isEmpty()) {
      return null;
    }
    Sequence last = running.getLast();
    return waiting.schedulingClass().moreUrgentThan(last.schedulingClass()) ? last : null;
  }

  /** Blocks that preempting every running sequence less urgent than {@code waiting} would give back. */
  private int blocksFreedByLowerClasses(Sequence waiting) {
    int n = 0;
    for (Sequence r : running) {
      if (waiting.schedulingClass().moreUrgentThan(r.schedulingClass())) {
        for (int b : r.blockTable()) {
          n += pool.refCount(b) == 1 ? 1 : 0; // a block shared with another sequence stays held
        }
      }
    }
    return n;
  }

  /**
   * Preempts {@code victim} (already planned for this step, maybe) so that a more urgent sequence gets in;
   * returns the tokens its dropped part of the plan had taken from the budget.
   */
  private int preemptForAdmission(Sequence victim, List<ScheduledSequence> out, List<Sequence> preempted,
      long nowNanos) {
    int tokens = 0;
    for (int k = 0; k < out.size(); k++) {
      if (out.get(k).sequence() == victim) {
        tokens = out.remove(k).numTokens();
        break;
      }
    }
    preempt(victim, nowNanos);
    preempted.add(victim);
    return tokens;
  }

  /** The cached blocks holding {@code s}'s leading full blocks (none without prefix caching). */
  private int[] cachedPrefix(Sequence s) {
    if (!config.prefixCaching() || s.numComputed() > 0 || s.request().params().promptLogprobs()) {
      return new int[0];
    }
    int bs = pool.blockSize();
    int max = (s.numTokens() - 1) / bs; // the last token is always computed
    int[] out = new int[max];
    String key = s.cacheKey();
    int n = 0;
    while (n < max) {
      int b = pool.lookup(s.blockHash(n, bs), s.parentHash(n, bs), key, s.tokenArray(), n * bs);
      if (b < 0) {
        break;
      }
      out[n++] = b;
    }
    return java.util.Arrays.copyOf(out, n);
  }

  /**
   * Registers in the prefix cache the blocks of {@code s} that are full and computed and not yet offered
   * (call after the step that computed them). No-op without prefix caching.
   */
  public void cacheComputedBlocks(Sequence s) {
    if (!config.prefixCaching()) {
      return;
    }
    int bs = pool.blockSize();
    int full = Math.min(s.numComputed() / bs, s.blockTable().length);
    String key = null;
    for (int i = s.numBlocksOffered(); i < full; i++) {
      key = key == null ? s.cacheKey() : key;
      pool.register(s.blockTable()[i], s.blockHash(i, bs), s.parentHash(i, bs), key, s.tokenArray(), i * bs);
    }
    s.setNumBlocksOffered(Math.max(full, s.numBlocksOffered()));
  }

  private boolean loraAllowed(Set<String> adaptersRunning, Sequence s) {
    if (config.maxLorasPerBatch() == 0 || s.adapterKey().isEmpty() || adaptersRunning.contains(s.adapterKey())) {
      return true;
    }
    long loras = adaptersRunning.stream().filter(k -> !k.isEmpty()).count();
    return loras < config.maxLorasPerBatch();
  }

  private void preempt(Sequence s, long nowNanos) {
    running.remove(s);
    freeBlocks(s);
    s.resetCache();
    s.countPreemption();
    preemptions[s.priority().ordinal()]++;
    s.setStatus(Sequence.Status.WAITING);
    waiting.addPreempted(s, nowNanos);
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
    // Last block first, so that when they end up evictable a prefix outlives its extensions.
    int[] table = s.blockTable();
    for (int i = table.length - 1; i >= 0; i--) {
      pool.free(table[i]);
    }
    s.resetCache();
  }
}
