package io.lorafleet.runtime.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Off-heap memory for the repacked weights. On Linux it is an anonymous mapping asked for transparent huge
 * pages before its first touch (a decode step streams every weight once: 2 MiB pages spare the page walks
 * and let the prefetchers run across 4 KiB boundaries); elsewhere, or if that fails, a plain {@link Arena}
 * allocation. Also drops the pages of a file mapping that is no longer read (best effort).
 */
final class NativeMemory implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NativeMemory.class);
  private static final long HUGE_PAGE = 2L << 20;
  private static final int PROT_READ_WRITE = 0x1 | 0x2;
  private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
  private static final int MADV_DONTNEED = 4;
  private static final int MADV_HUGEPAGE = 14;

  private static final Libc LIBC = Libc.load();

  private final MemorySegment segment;
  private final Arena arena;

  private NativeMemory(MemorySegment segment, Arena arena) {
    this.segment = segment;
    this.arena = arena;
  }

  /** {@code bytes} of zeroed memory, aligned to 64 bytes at least. */
  static NativeMemory allocate(long bytes) {
    long size = Math.max(HUGE_PAGE, (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE);
    // A shared arena: closing it while another thread still reads fails that read, never the JVM.
    Arena a = Arena.ofShared();
    if (LIBC != null) {
      Optional<MemorySegment> m = LIBC.mapHuge(size);
      if (m.isPresent()) {
        return new NativeMemory(m.get().reinterpret(size, a, seg -> LIBC.unmap(seg.address(), size)), a);
      }
    }
    return new NativeMemory(a.allocate(size, 64), a);
  }

  MemorySegment segment() {
    return segment;
  }

  /** Tells the kernel that the pages of {@code fileMapped} will not be read again for a while (best effort). */
  static void dropPages(MemorySegment fileMapped) {
    if (LIBC == null || !fileMapped.isNative() || fileMapped.byteSize() < (4L << 20)) {
      return;
    }
    long page = 4096;
    long start = (fileMapped.address() + page - 1) / page * page;
    long end = (fileMapped.address() + fileMapped.byteSize()) / page * page;
    if (end > start) {
      LIBC.advise(MemorySegment.ofAddress(start), end - start, MADV_DONTNEED);
    }
  }

  @Override
  public synchronized void close() {
    if (segment.scope().isAlive()) {
      arena.close();
    }
  }

  /** mmap, munmap and madvise through the FFM API. */
  private record Libc(MethodHandle mmap, MethodHandle munmap, MethodHandle madvise) {
    static Libc load() {
      if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
        return null;
      }
      try {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        MethodHandle mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(), FunctionDescriptor.of(
            ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
        MethodHandle munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        MethodHandle madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        return new Libc(mmap, munmap, madvise);
      } catch (RuntimeException | LinkageError e) {
        log.debug("no mmap/madvise through FFM ({}): weights go to plain native memory", e.toString());
        return null;
      }
    }

    Optional<MemorySegment> mapHuge(long size) {
      try {
        MemorySegment p = (MemorySegment) mmap.invokeExact(MemorySegment.NULL, size, PROT_READ_WRITE,
            MAP_PRIVATE_ANONYMOUS, -1, 0L);
        if (p.address() == -1L || p.address() == 0L) {
          return Optional.empty();
        }
        MemorySegment seg = p.reinterpret(size);
        advise(seg, size, MADV_HUGEPAGE);
        return Optional.of(seg);
      } catch (Throwable t) {
        log.debug("mmap of {} bytes failed: {}", size, t.toString());
        return Optional.empty();
      }
    }

    void unmap(long address, long size) {
      try {
        int rc = (int) munmap.invokeExact(MemorySegment.ofAddress(address), size);
        if (rc != 0) {
          log.warn("munmap of {} bytes returned {}", size, rc);
        }
      } catch (Throwable t) {
        log.warn("munmap failed: {}", t.toString());
      }
    }

    void advise(MemorySegment seg, long size, int advice) {
      try {
        int rc = (int) madvise.invokeExact(seg, size, advice);
        if (rc != 0) {
          log.debug("madvise({}) returned {}", advice, rc);
        }
      } catch (Throwable t) {
        log.debug("madvise({}) failed: {}", advice, t.toString());
      }
    }
  }
}
