package io.lorafleet.runtime.engine;

import java.util.BitSet;

/**
 * Fixed-size KV-cache blocks, handed out by id. Pure bookkeeping: the memory behind an id lives in the
 * backend. Allocation is all-or-nothing, so a caller never holds a partial grant.
 */
public final class KvBlockPool {
  private final int numBlocks;
  private final int blockSize;
  private final int[] free;
  private final BitSet used;
  private int numFree;

  public KvBlockPool(int numBlocks, int blockSize) {
    if (numBlocks <= 0 || blockSize <= 0) {
      throw new IllegalArgumentException("numBlocks and blockSize must be positive");
    }
    this.numBlocks = numBlocks;
    this.blockSize = blockSize;
    this.free = new int[numBlocks];
    this.used = new BitSet(numBlocks);
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

  public int numFree() {
    return numFree;
  }

  public int numUsed() {
    return numBlocks - numFree;
  }

  /** Blocks needed to hold {@code tokens} tokens. */
  public int blocksFor(int tokens) {
    return (tokens + blockSize - 1) / blockSize;
  }

  /** Takes {@code n} blocks, or none (returns null) when fewer are free. */
  public int[] allocate(int n) {
    if (n > numFree) {
      return null;
    }
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      int b = free[--numFree];
      used.set(b);
      out[i] = b;
    }
    return out;
  }

  /** Returns one block; freeing a block that is not allocated is a bug and throws. */
  public void free(int block) {
    if (block < 0 || block >= numBlocks || !used.get(block)) {
      throw new IllegalStateException("block " + block + " is not allocated");
    }
    used.clear(block);
    free[numFree++] = block;
  }
}
