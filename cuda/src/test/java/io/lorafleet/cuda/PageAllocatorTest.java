package io.lorafleet.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lorafleet.cuda.PageAllocator.Use;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PageAllocatorTest {
  @Test
  void freshPoolHandsOutLowPagesInRuns() {
    PageAllocator p = new PageAllocator(10);
    assertArrayEquals(new int[] {0, 1, 2, 3}, p.allocate(4, Use.KV));
    assertArrayEquals(new int[] {4, 5}, p.allocate(2, Use.ADAPTER));
    assertEquals(4, p.freePages());
    assertEquals(4, p.usedPages(Use.KV));
    assertEquals(2, p.usedPages(Use.ADAPTER));
  }

  @Test
  void allocationIsAllOrNothing() {
    PageAllocator p = new PageAllocator(5);
    p.allocate(3, Use.KV);
    assertNull(p.allocate(3, Use.ADAPTER));
    assertEquals(2, p.freePages());
    assertEquals(0, p.usedPages(Use.ADAPTER));
  }

  @Test
  void freeingChecksOwnership() {
    PageAllocator p = new PageAllocator(4);
    int[] kv = p.allocate(2, Use.KV);
    assertThrows(IllegalStateException.class, () -> p.free(kv, Use.ADAPTER));
    p.free(kv, Use.KV);
    assertThrows(IllegalStateException.class, () -> p.free(kv, Use.KV), "double free");
    assertThrows(IllegalStateException.class, () -> p.free(new int[] {7}, Use.KV), "out of range");
    assertEquals(4, p.freePages());
  }

  @Test
  void kvAndAdaptersTradePagesWithoutLeaks() {
    PageAllocator p = new PageAllocator(64);
    Random r = new Random(7);
    List<int[]> kv = new ArrayList<>();
    List<int[]> ad = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      boolean adapter = r.nextBoolean();
      List<int[]> held = adapter ? ad : kv;
      if (r.nextInt(3) == 0 && !held.isEmpty()) {
        p.free(held.remove(r.nextInt(held.size())), adapter ? Use.ADAPTER : Use.KV);
      } else {
        int[] got = p.allocate(1 + r.nextInt(6), adapter ? Use.ADAPTER : Use.KV);
        if (got != null) {
          held.add(got);
        }
      }
      int kvUsed = kv.stream().mapToInt(a -> a.length).sum();
      int adUsed = ad.stream().mapToInt(a -> a.length).sum();
      assertEquals(kvUsed, p.usedPages(Use.KV));
      assertEquals(adUsed, p.usedPages(Use.ADAPTER));
      assertEquals(64 - kvUsed - adUsed, p.freePages());
    }
    Set<Integer> seen = new HashSet<>();
    for (List<int[]> l : List.of(kv, ad)) {
      for (int[] a : l) {
        for (int page : a) {
          assertEquals(true, seen.add(page), "page " + page + " handed out twice");
        }
      }
    }
    kv.forEach(a -> p.free(a, Use.KV));
    ad.forEach(a -> p.free(a, Use.ADAPTER));
    assertEquals(64, p.freePages());
  }

  @Test
  void pageSizeCoversAKvBlockAndTheLargestPiece() {
    assertEquals(32768, DevicePool.pageBytesFor(32768, 4128));
    assertEquals(4352, DevicePool.pageBytesFor(1000, 4128 + 100));
    assertEquals(0, DevicePool.pageBytesFor(32768, 0) % DevicePool.PAGE_ALIGN);
  }
}
