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
  private final FairQueue waiting = new FairQueue();
  private final List<Sequence> running = new ArrayList<>();
  private final PrefixCacheStats prefixStats = new PrefixCacheStats();

  public Scheduler(SchedulerConfig config, KvBlockPool pool) {
    this.config = config;
    this.pool = pool;
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
        if (s == null) {
          break;
        }
        int[] hits = cachedPrefix(s);
        int reclaimedByHits = 0;
        for (int b : hits) {
          reclaimedByHits += pool.refCount(b) == 0 ? 1 : 0;
        }
        if (pool.blocksFor(s.numTokens() + 1) - hits.length > pool.numFree() - reclaimedByHits) {
          break;
        }
        waiting.take(s);
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
        running.add(s);
        adapters.add(s.adapterKey());
        out.add(new ScheduledSequence(s, n));
        budget -= n;
      }
    }
    return new SchedulerOutput(out, preempted);
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
    // Last block first, so that when they end up evictable a prefix outlives its extensions.
    int[] table = s.blockTable();
    for (int i = table.length - 1; i >= 0; i--) {
      pool.free(table[i]);
    }
    s.resetCache();
  }
}
