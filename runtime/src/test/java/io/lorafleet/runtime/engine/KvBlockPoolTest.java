package io.lorafleet.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The pool's reference counts and prefix-cache index, without a model. */
class KvBlockPoolTest {
  private static final int[] TOKENS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

  private static BlockHash hash(BlockHash parent, String key, int from) {
    return BlockHash.of(parent, key, TOKENS, from, 4);
  }

  @Test
  void hashesChainAndDependOnKeyParentAndTokens() {
    BlockHash a = hash(BlockHash.ROOT, "base", 0);
    assertEquals(a, hash(BlockHash.ROOT, "base", 0));
    assertNotEquals(a, hash(BlockHash.ROOT, "adapter:x@00", 0), "another key");
    assertNotEquals(a, hash(BlockHash.ROOT, "base", 4), "other tokens");
    assertNotEquals(hash(a, "base", 4), hash(BlockHash.ROOT, "base", 4), "another parent");
  }

  @Test
  void sharedBlocksAreCountedAndBecomeEvictableWhenTheLastHolderLetsGo() {
    KvBlockPool pool = new KvBlockPool(4, 4);
    int b = pool.allocate(1)[0];
    BlockHash h = hash(BlockHash.ROOT, "base", 0);
    assertTrue(pool.register(b, h, BlockHash.ROOT, "base", TOKENS, 0));
    assertEquals(b, pool.lookup(h, BlockHash.ROOT, "base", TOKENS, 0));
    assertEquals(-1, pool.lookup(h, BlockHash.ROOT, "other", TOKENS, 0), "the stored key is compared");
    assertEquals(-1, pool.lookup(h, BlockHash.ROOT, "base", TOKENS, 4), "the stored tokens are compared");
    pool.share(b);
    assertEquals(2, pool.refCount(b));
    pool.free(b);
    assertEquals(3, pool.numFree());
    pool.free(b);
    assertEquals(4, pool.numFree(), "evictable counts as free");
    assertEquals(1, pool.numEvictable());
    assertEquals(b, pool.lookup(h, BlockHash.ROOT, "base", TOKENS, 0), "still cached");
    pool.share(b);
    assertEquals(0, pool.numEvictable());
    assertEquals(1, pool.numUsed());
    pool.free(b);
    assertThrows(IllegalStateException.class, () -> pool.free(b));
  }

  @Test
  void freeBlocksGoFirstThenCachedOnesLeastRecentlyReleasedFirst() {
    KvBlockPool pool = new KvBlockPool(3, 4);
    int[] bs = pool.allocate(3);
    BlockHash h0 = hash(BlockHash.ROOT, "base", 0);
    BlockHash h1 = hash(h0, "base", 4);
    pool.register(bs[0], h0, BlockHash.ROOT, "base", TOKENS, 0);
    pool.register(bs[1], h1, h0, "base", TOKENS, 4);
    assertFalse(pool.register(bs[2], h1, h0, "base", TOKENS, 4), "one block per hash");
    pool.free(bs[1]); // released first: evicted first
    pool.free(bs[0]);
    pool.free(bs[2]); // not cached: plain free
    assertArrayEquals(new int[] {bs[2]}, pool.allocate(1), "a free block before any cached one");
    assertEquals(2, pool.numCached());
    assertArrayEquals(new int[] {bs[1]}, pool.allocate(1), "then the least recently released cached block");
    assertEquals(-1, pool.lookup(h1, h0, "base", TOKENS, 4), "its entry is gone");
    assertEquals(bs[0], pool.lookup(h0, BlockHash.ROOT, "base", TOKENS, 0));
    assertEquals(1, pool.evictions());
    assertEquals(1, pool.numFree());
  }
}
