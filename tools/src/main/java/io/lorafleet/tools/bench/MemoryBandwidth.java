package io.lorafleet.tools.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures how fast this machine streams memory into the cores: a large native buffer (far beyond the
 * caches) is split into one contiguous slice per thread and each thread sums its slice as floats with the
 * Vector API; a repetition's rate is the buffer size over the time until the last thread is done. The
 * best repetition is the figure, as for STREAM-like benchmarks. The buffer is written first by the same
 * threads so that its pages are resident (and local to them) before anything is timed.
 */
public final class MemoryBandwidth {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final long ALIGN = 4096;
  private static final long WARMUP_PIECE = 64 << 10;
  private static final int WARMUP_CALLS = 20_000;

  /** Keeps the sums observable so the reads cannot be optimized away. */
  @SuppressWarnings("unused")
  private static volatile float sink;

  /**
   * One measurement.
   *
   * @param bufferBytes     bytes read per repetition
   * @param threads         reading threads
   * @param gbPerSecondReps rate of each repetition in GB/s (10^9 bytes)
   */
  public record Result(long bufferBytes, int threads, List<Double> gbPerSecondReps) {
    public Result {
      gbPerSecondReps = List.copyOf(gbPerSecondReps);
    }

    public double bestGbPerSecond() {
      return Collections.max(gbPerSecondReps);
    }
  }

  private MemoryBandwidth() {}

  /** Reads a {@code bytes}-byte buffer {@code reps} times with {@code threads} threads. */
  public static Result measure(long bytes, int threads, int reps) {
    if (bytes < ALIGN * threads || threads < 1 || reps < 1) {
      throw new IllegalArgumentException("need bytes >= 4 KiB per thread, threads >= 1, reps >= 1");
    }
    long slice = bytes / threads / ALIGN * ALIGN;
    try (Arena arena = Arena.ofShared();
        ExecutorService exec = Executors.newFixedThreadPool(threads, r -> {
          Thread t = new Thread(r, "lorafleet-bandwidth");
          t.setDaemon(true);
          return t;
        })) {
      MemorySegment buffer = arena.allocate(slice * threads, ALIGN);
      List<MemorySegment> slices = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        slices.add(buffer.asSlice(t * slice, slice));
      }
      runAll(exec, slices.stream().<Callable<Float>>map(s -> () -> {
        s.fill((byte) 0x3c);
        return 0f;
      }).toList());
      // Untimed: many calls over a cache-sized piece get the summing loop compiled (a single long call
      // only gets an on-stack-replacement version, and the next call would start interpreted again),
      // then one full pass.
      runAll(exec, slices.stream().<Callable<Float>>map(s -> () -> {
        MemorySegment piece = s.asSlice(0, Math.min(s.byteSize(), WARMUP_PIECE));
        float acc = 0;
        for (int i = 0; i < WARMUP_CALLS; i++) {
          acc += sum(piece);
        }
        return acc;
      }).toList());
      runAll(exec, slices.stream().<Callable<Float>>map(s -> () -> sum(s)).toList());
      List<Double> rates = new ArrayList<>();
      for (int r = 0; r < reps; r++) {
        long t0 = System.nanoTime();
        float total = runAll(exec, slices.stream().<Callable<Float>>map(s -> () -> sum(s)).toList());
        long nanos = System.nanoTime() - t0;
        sink = total;
        rates.add(slice * threads / (double) nanos);
      }
      return new Result(slice * threads, threads, rates);
    }
  }

  private static float runAll(ExecutorService exec, List<Callable<Float>> tasks) {
    try {
      float total = 0;
      for (Future<Float> f : exec.invokeAll(tasks)) {
        total += f.get();
      }
      return total;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while measuring memory bandwidth", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("memory bandwidth measurement failed", e.getCause());
    }
  }

  /** Sum of the segment as floats, with four independent accumulators to keep the loads in flight. */
  static float sum(MemorySegment s) {
    long vb = F.vectorByteSize();
    long n = s.byteSize() / (4 * vb) * (4 * vb);
    FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
    for (long off = 0; off < n; off += 4 * vb) {
      a0 = a0.add(FloatVector.fromMemorySegment(F, s, off, ByteOrder.LITTLE_ENDIAN));
      a1 = a1.add(FloatVector.fromMemorySegment(F, s, off + vb, ByteOrder.LITTLE_ENDIAN));
      a2 = a2.add(FloatVector.fromMemorySegment(F, s, off + 2 * vb, ByteOrder.LITTLE_ENDIAN));
      a3 = a3.add(FloatVector.fromMemorySegment(F, s, off + 3 * vb, ByteOrder.LITTLE_ENDIAN));
    }
    return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
  }
}
