package io.lorafleet.runtime.engine;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;

/**
 * Fixed-size KV-cache blocks, handed out by id, reference-counted, with the prefix cache's index over them.
 * Pure bookkeeping: the memory behind an id lives in the backend. Allocation is all-or-nothing, so a caller
 * never holds a partial grant.
 *
 * <p>A block is in one of three states: <em>free</em> (no holder, no cached content), <em>held</em> (its
 * reference count is the number of sequences whose block table contains it), or <em>cached and evictable</em>
 * (no holder, but it is a full block registered under its {@link BlockHash}, so a later sequence with the same
 * prefix and cache key can take it again with {@link #share}). Evictable blocks count as free: {@link
 * #allocate} takes truly free blocks first and then reclaims the least recently released cached block, dropping
 * it from the index. Only full blocks whose K/V the model has written are ever {@link #register registered}.
 */
public final class KvBlockPool {
  private final int numBlocks;
  private final int blockSize;
  private final int[] free;
  private int numFree;
  private final int[] refCount;
  /** What each registered block holds (null: not in the prefix cache). */
  private final CachedBlock[] cached;
  private final Map<BlockHash, Integer> index = new HashMap<>();
  /** Cached blocks nobody holds, least recently released first. */
  private final LinkedHashSet<Integer> evictable = new LinkedHashSet<>();
  private long evictions;

  /**
   * The content a registered block holds, kept whole so that a lookup compares it instead of trusting the
   * hash alone.
   */
  private record CachedBlock(BlockHash hash, BlockHash parent, String cacheKey, int[] tokens) {}

  public KvBlockPool(int numBlocks, int blockSize) {
    if (numBlocks <= 0 || blockSize <= 0) {
      throw new IllegalArgumentException("numBlocks and blockSize must be positive");
    }
    this.numBlocks = numBlocks;
    this.blockSize = blockSize;
    this.free = new int[numBlocks];
    this.refCount = new int[numBlocks];
    this.cached = new CachedBlock[numBlocks];
    // Hand out low ids first.
    for (int i = 0; i < numBlocks; i++) {
      free[i] = numBlocks - 1 - i;
    }
    this.numFree = numBlocks;
  }

  public int numBlocks() {
    return numBlocks;
  }

  public int blockSize() {
    return blockSize;
  }

  /** Blocks an allocation can take now: free ones plus cached ones nobody holds. */
  public int numFree() {
    return numFree + evictable.size();
  }

  /** Blocks held by at least one sequence. */
  public int numUsed() {
    return numBlocks - numFree();
  }

  /** Blocks registered in the prefix cache (held or evictable). */
  public int numCached() {
    return index.size();
  }

  /** Cached blocks no sequence holds (reclaimed, least recently used first, when blocks run short). */
  public int numEvictable() {
    return evictable.size();
  }

  /** Cached blocks reclaimed for other content since the pool was made. */
  public long evictions() {
    return evictions;
  }

  /** Sequences holding {@code block} (0 when it is free or cached and evictable). */
  public int refCount(int block) {
    return refCount[block];
  }

  /** Whether {@code block} is registered in the prefix cache. */
  public boolean isCached(int block) {
    return cached[block] != null;
  }

  /** Blocks needed to hold {@code tokens} tokens. */
  public int blocksFor(int tokens) {
    return (tokens + blockSize - 1) / blockSize;
  }

  /** Takes {@code n} blocks, or none (returns null) when fewer are free. */
  public int[] allocate(int n) {
    if (n > numFree()) {
      return null;
    }
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      int b;
      if (numFree > 0) {
        b = free[--numFree];
      } else {
        Iterator<Integer> lru = evictable.iterator();
        b = lru.next();
        lru.remove();
        index.remove(cached[b].hash());
        cached[b] = null;
        evictions++;
      }
      refCount[b] = 1;
      out[i] = b;
    }
    return out;
  }

  /**
   * Drops one holder of {@code block}. When none is left it becomes free, or evictable (most recently
   * used) when it is cached. Freeing a block nobody holds is a bug and throws.
   */
  public void free(int block) {
    if (block < 0 || block >= numBlocks || refCount[block] <= 0) {
      throw new IllegalStateException("block " + block + " is not allocated");
    }
    if (--refCount[block] == 0) {
      if (cached[block] != null) {
        evictable.add(block);
      } else {
        free[numFree++] = block;
      }
    }
  }

  /**
   * The cached block holding exactly {@code tokens[from .. from + blockSize)} after the block {@code parent}
   * under {@code cacheKey}, if one is registered as {@code hash}; -1 otherwise. Changes nothing.
   */
  public int lookup(BlockHash hash, BlockHash parent, String cacheKey, int[] tokens, int from) {
    Integer b = index.get(hash);
    if (b == null) {
      return -1;
    }
    CachedBlock c = cached[b];
    boolean same = c.parent().equals(parent) && c.cacheKey().equals(cacheKey)
        && Arrays.equals(c.tokens(), 0, blockSize, tokens, from, from + blockSize);
    return same ? b : -1;
  }

  /** Adds a holder to a cached block found by {@link #lookup} (taking it off the evictable list). */
  public void share(int block) {
    if (cached[block] == null) {
      throw new IllegalStateException("block " + block + " is not cached");
    }
    if (refCount[block]++ == 0) {
      evictable.remove(block);
    }
  }

  /**
   * Registers a held, full block whose K/V are written as holding {@code tokens[from .. from + blockSize)}.
   * Does nothing (returns false) when another block is already registered under {@code hash} (the same
   * content computed twice at once: the second copy stays private and is freed normally) or this block
   * is already registered.
   */
  public boolean register(int block, BlockHash hash, BlockHash parent, String cacheKey, int[] tokens, int from) {
    if (refCount[block] <= 0) {
      throw new IllegalStateException("block " + block + " is not allocated");
    }
    if (cached[block] != null || index.containsKey(hash)) {
      return false;
    }
    cached[block] = new CachedBlock(hash, parent, cacheKey, Arrays.copyOfRange(tokens, from, from + blockSize));
    index.put(hash, block);
    return true;
  }
}
