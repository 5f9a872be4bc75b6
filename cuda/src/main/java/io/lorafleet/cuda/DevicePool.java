package io.lorafleet.cuda;

/**
 * One device allocation cut into fixed-size pages, shared by KV-cache blocks and LoRA adapters. A page
 * is exactly one KV block (all layers, K and V, float32) or a piece of an adapter (its rank rows packed
 * whole, see {@link AdapterLayout}); {@link PageAllocator} keeps the books.
 */
final class DevicePool implements AutoCloseable {
  /** Page sizes are multiples of this (so every page starts 256-byte aligned). */
  public static final long PAGE_ALIGN = 256;

  private final Gpu gpu;
  private final long base;
  private final long pageBytes;
  private final PageAllocator pages;

  public DevicePool(Gpu gpu, long pageBytes, int numPages) {
    if (pageBytes <= 0 || pageBytes % PAGE_ALIGN != 0) {
      throw new IllegalArgumentException("page size " + pageBytes + " is not a positive multiple of " + PAGE_ALIGN);
    }
    this.gpu = gpu;
    this.pageBytes = pageBytes;
    this.pages = new PageAllocator(numPages);
    this.base = numPages == 0 ? 0 : gpu.allocate(pageBytes * numPages);
  }

  /** The page size for KV blocks of {@code kvBlockBytes}, at least {@code minBytes}, rounded up to the alignment. */
  public static long pageBytesFor(long kvBlockBytes, long minBytes) {
    long b = Math.max(kvBlockBytes, minBytes);
    return (b + PAGE_ALIGN - 1) / PAGE_ALIGN * PAGE_ALIGN;
  }

  public long base() {
    return base;
  }

  public long pageBytes() {
    return pageBytes;
  }

  public PageAllocator pages() {
    return pages;
  }

  public long address(int page) {
    if (page < 0 || page >= pages.pages()) {
      throw new IndexOutOfBoundsException("page " + page + " of " + pages.pages());
    }
    return base + page * pageBytes;
  }

  public long bytes() {
    return pageBytes * pages.pages();
  }

  @Override
  public void close() {
    if (base != 0) {
      gpu.free(base);
    }
  }

  @Override
  public String toString() {
    return "DevicePool[" + pages.pages() + " x " + (pageBytes >> 10) + " KiB, " + pages.freePages() + " free]";
  }
}
