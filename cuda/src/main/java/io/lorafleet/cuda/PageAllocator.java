package io.lorafleet.cuda;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;

/**
 * Host-side accounting of the device pool's pages: which are free and what each used page holds. KV
 * blocks and adapter weights draw from the same pages (S-LoRA's unified paging), so memory moves between
 * them as the load changes instead of being split up front. Allocation is all-or-nothing. Pure Java.
 */
final class PageAllocator {
  /** What a page holds. */
  public enum Use {
    KV,
    ADAPTER
  }

  private static final byte FREE = -1;

  private final int pages;
  private final int[] free;
  private final byte[] useOf;
  private final Map<Use, Integer> used = new EnumMap<>(Use.class);
  private int numFree;

  public PageAllocator(int pages) {
    if (pages < 0) {
      throw new IllegalArgumentException("negative page count " + pages);
    }
    this.pages = pages;
    this.free = new int[pages];
    this.useOf = new byte[pages];
    Arrays.fill(useOf, FREE);
    // Hand out low page numbers first, so that a fresh pool gives contiguous runs.
    for (int i = 0; i < pages; i++) {
      free[i] = pages - 1 - i;
    }
    numFree = pages;
    for (Use u : Use.values()) {
      used.put(u, 0);
    }
  }

  public int pages() {
    return pages;
  }

  public int freePages() {
    return numFree;
  }

  public int usedPages(Use use) {
    return used.get(use);
  }

  /** Takes {@code n} pages for {@code use}, ascending, or returns null (taking none) when fewer are free. */
  public int[] allocate(int n, Use use) {
    if (n < 0) {
      throw new IllegalArgumentException("negative page count " + n);
    }
    if (n > numFree) {
      return null;
    }
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      int p = free[--numFree];
      useOf[p] = (byte) use.ordinal();
      out[i] = p;
    }
    Arrays.sort(out);
    used.merge(use, n, Integer::sum);
    return out;
  }

  /** Returns pages taken for {@code use}; a page that is free or holds something else is a bug and throws. */
  public void free(int[] taken, Use use) {
    for (int p : taken) {
      if (p < 0 || p >= pages || useOf[p] != use.ordinal()) {
        throw new IllegalStateException("page " + p + " is not allocated for " + use);
      }
    }
    for (int p : taken) {
      useOf[p] = FREE;
      free[numFree++] = p;
    }
    used.merge(use, -taken.length, Integer::sum);
  }

  @Override
  public String toString() {
    return "PageAllocator[" + pages + " pages, " + numFree + " free, " + used + "]";
  }
}
