package io.lorafleet.tools.bench;

import io.lorafleet.runtime.backend.NativeGemm;
import io.lorafleet.runtime.backend.cpu.InputRows;
import io.lorafleet.runtime.backend.cpu.OneDnnMatmul;
import io.lorafleet.runtime.backend.cpu.PackedLinear;
import io.lorafleet.runtime.backend.cpu.PanelKernels;
import io.lorafleet.runtime.backend.cpu.WorkerPool;
import io.lorafleet.runtime.format.DType;
import io.lorafleet.runtime.model.Linear;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU backend's GEMM alone against this machine's float peak. The peak is a register-only loop of
 * independent vector FMA chains on every thread at once (no memory traffic: the most the cores can do in
 * float32 with the vector width Java uses here); the
 * GEMM is {@link PanelKernels} on a random bf16 matrix of the model's MLP shape ({@code intermediate x
 * hidden}) over a prefill-sized block of input rows, split over the same threads as the backend splits it.
 * Each figure is the best of several timed repetitions after warm-up, as for the bandwidth probe; the GEMM
 * in wall time, the peak in each thread's CPU time (what the cores do while they run).
 */
public final class GemmBenchmark {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final long PEAK_ITERATIONS = 20_000_000;
  private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

  /** Keeps results observable. */
  @SuppressWarnings("unused")
  private static volatile float sink;

  private GemmBenchmark() {}

  /**
   * The figures.
   *
   * @param rows           input rows of the GEMM (M)
   * @param outFeatures    its output features (N)
   * @param inFeatures     its input features (K)
   * @param threads        threads of both measurements
   * @param vectorGflopsReps GFLOP/s of each timed repetition of the Vector-API GEMM (2 M N K per repetition)
   * @param nativeGflopsReps GFLOP/s of each timed repetition of oneDNN's bf16 GEMM, each right after a
   *                         Vector-API one (empty where the library is not available)
   * @param nativeInUse      whether the backend under test sends products of {@code rows} rows to oneDNN
   * @param nativeImpl       oneDNN's implementation name, or empty
   * @param peakGflopsReps   GFLOP/s of each timed peak repetition
   */
  public record Result(int rows, int outFeatures, int inFeatures, int threads, List<Double> vectorGflopsReps,
      List<Double> nativeGflopsReps, boolean nativeInUse, String nativeImpl, List<Double> peakGflopsReps) {
    public Result {
      vectorGflopsReps = List.copyOf(vectorGflopsReps);
      nativeGflopsReps = List.copyOf(nativeGflopsReps);
      peakGflopsReps = List.copyOf(peakGflopsReps);
    }

    /** The repetitions of the GEMM the backend uses. */
    public List<Double> gemmGflopsReps() {
      return nativeInUse ? nativeGflopsReps : vectorGflopsReps;
    }

    /** Best GFLOP/s of the GEMM the backend uses. */
    public double gemmGflops() {
      return Collections.max(gemmGflopsReps());
    }

    public double vectorGflops() {
      return Collections.max(vectorGflopsReps);
    }

    /** Best GFLOP/s of oneDNN's GEMM; NaN where it was not measured. */
    public double nativeGflops() {
      return nativeGflopsReps.isEmpty() ? Double.NaN : Collections.max(nativeGflopsReps);
    }

    /** Median over the back-to-back pairs of native over Vector-API GFLOP/s; NaN without oneDNN. */
    public double nativeOverVector() {
      if (nativeGflopsReps.isEmpty()) {
        return Double.NaN;
      }
      List<Double> ratios = new ArrayList<>();
      for (int i = 0; i < nativeGflopsReps.size(); i++) {
        ratios.add(nativeGflopsReps.get(i) / vectorGflopsReps.get(i));
      }
      Collections.sort(ratios);
      int n = ratios.size();
      return n % 2 == 1 ? ratios.get(n / 2) : (ratios.get(n / 2 - 1) + ratios.get(n / 2)) / 2;
    }

    public double peakGflops() {
      return Collections.max(peakGflopsReps);
    }

    public double peakFraction() {
      return gemmGflops() / peakGflops();
    }
  }

  /**
   * Measures an {@code rows x out x in} bf16 GEMM with the Vector-API kernels and (where it loads) with
   * oneDNN, alternating repetitions so that both see the same machine, and the FMA peak, with {@code
   * threads} threads. {@code nativeInUse}: which of the two the backend under test runs.
   */
  public static Result measure(int rows, int out, int in, int threads, int reps, boolean nativeInUse) {
    try (WorkerPool pool = new WorkerPool(threads); Arena arena = Arena.ofShared();
        OneDnnMatmul dnnl = OneDnnMatmul.open(NativeGemm.AUTO, threads).orElse(null)) {
      Linear w = randomBf16(out, in, arena);
      // Each path on its own layout: the Vector-API kernels' (what runs with the native GEMM off) and oneDNN's.
      PackedLinear p = PackedLinear.pack(w, arena);
      PackedLinear pairs = dnnl == null ? null : PackedLinear.pack(w, arena, PackedLinear.Format.BF16_PAIRS);
      float[] x = new float[rows * in];
      SplittableRandom r = new SplittableRandom(3);
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) r.nextGaussian();
      }
      float[] y = new float[rows * out];
      float[] buffer = new float[rows * in];
      // As the backend runs a product: the input rows packed once (split between the threads), then the
      // panels split between the threads.
      Runnable gemm = () -> {
        InputRows input = InputRows.of(x, 0, in, rows, in, buffer);
        pool.parallelFor(input.packedTiles(), 4, (wk, s, e) -> input.pack(s, e));
        pool.parallelFor(p.panels(), PanelKernels.panelsPerChunk(rows),
            (wk, s, e) -> PanelKernels.matmul(p, input, y, 0, out, s, e, false));
      };
      // As the backend runs a product on oneDNN: the inputs rounded to bf16 (split between the threads),
      // then oneDNN with its own threads.
      Runnable nativeGemm = dnnl == null ? null : () -> {
        dnnl.ensureInput(2L * rows * in);
        pool.parallelFor(rows, 8, (wk, s, e) -> dnnl.prepareInput(x, in, rows, in, s, e));
        dnnl.multiplyPrepared(pairs, rows, y, out);
      };
      double flop = 2.0 * rows * out * in;
      // Warm-up: the JIT compiles the kernels (and the peak loop) before anything is timed.
      long t0 = System.nanoTime();
      do {
        gemm.run();
        if (nativeGemm != null) {
          nativeGemm.run();
        }
      } while (System.nanoTime() - t0 < 1_500_000_000L);
      List<Double> vectorReps = new ArrayList<>();
      List<Double> nativeReps = new ArrayList<>();
      for (int i = 0; i < reps; i++) {
        long s = System.nanoTime();
        gemm.run();
        vectorReps.add(flop / (System.nanoTime() - s));
        if (nativeGemm != null) {
          s = System.nanoTime();
          nativeGemm.run();
          nativeReps.add(flop / (System.nanoTime() - s));
        }
      }
      sink = y[0];
      List<Double> peakReps = new ArrayList<>();
      peak(threads, PEAK_ITERATIONS / 8);
      for (int i = 0; i < reps; i++) {
        peakReps.add(peak(threads, PEAK_ITERATIONS));
      }
      return new Result(rows, out, in, threads, vectorReps, nativeReps, nativeInUse && dnnl != null,
          dnnl == null ? "" : dnnl.implementation(), peakReps);
    }
  }

  private static Linear randomBf16(int rows, int cols, Arena arena) {
    MemorySegment seg = arena.allocate(2L * rows * cols, 64);
    SplittableRandom r = new SplittableRandom(5);
    ValueLayout.OfShort s = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    for (long i = 0; i < (long) rows * cols; i++) {
      int bits = Float.floatToRawIntBits((float) (r.nextGaussian() * 0.02));
      seg.set(s, 2 * i, (short) (bits >>> 16));
    }
    return new Linear("gemm-bench", DType.BF16, rows, cols, seg);
  }

  /**
   * GFLOP/s of {@code iterations} rounds of 16 independent FMA chains on every thread at once: threads start
   * together at a barrier, each times its own loop in its own CPU time, and the rates add up.
   */
  private static double peak(int threads, long iterations) {
    CyclicBarrier start = new CyclicBarrier(threads);
    double[] rates = new double[threads];
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      ts.add(Thread.ofPlatform().daemon().name("lorafleet-fma-peak-" + t).start(() -> {
        try {
          start.await();
        } catch (InterruptedException | BrokenBarrierException e) {
          Thread.currentThread().interrupt();
          return;
        }
        // Thread CPU time, not wall time: a thread preempted by another process does not count as slow.
        long s = CPU.getCurrentThreadCpuTime();
        sink = fmaChains(iterations, id);
        rates[id] = iterations * 16.0 * 2 * F.length() / Math.max(1, CPU.getCurrentThreadCpuTime() - s);
      }));
    }
    for (Thread t : ts) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while measuring the FMA peak", e);
      }
    }
    double sum = 0;
    for (double r : rates) {
      sum += r;
    }
    return sum;
  }

  /** 16 independent chains: enough to cover the FMA latency on every core this runs on. */
  static float fmaChains(long iterations, float seed) {
    FloatVector m = FloatVector.broadcast(F, 0.999f);
    FloatVector a = FloatVector.broadcast(F, 1e-3f);
    FloatVector c0 = FloatVector.broadcast(F, seed), c1 = c0.add(1), c2 = c0.add(2), c3 = c0.add(3);
    FloatVector c4 = c0.add(4), c5 = c0.add(5), c6 = c0.add(6), c7 = c0.add(7);
    FloatVector c8 = c0.add(8), c9 = c0.add(9), c10 = c0.add(10), c11 = c0.add(11);
    FloatVector c12 = c0.add(12), c13 = c0.add(13), c14 = c0.add(14), c15 = c0.add(15);
    for (long i = 0; i < iterations; i++) {
      c0 = c0.fma(m, a);
      c1 = c1.fma(m, a);
      c2 = c2.fma(m, a);
      c3 = c3.fma(m, a);
      c4 = c4.fma(m, a);
      c5 = c5.fma(m, a);
      c6 = c6.fma(m, a);
      c7 = c7.fma(m, a);
      c8 = c8.fma(m, a);
      c9 = c9.fma(m, a);
      c10 = c10.fma(m, a);
      c11 = c11.fma(m, a);
      c12 = c12.fma(m, a);
      c13 = c13.fma(m, a);
      c14 = c14.fma(m, a);
      c15 = c15.fma(m, a);
    }
    FloatVector s = c0.add(c1).add(c2.add(c3)).add(c4.add(c5).add(c6.add(c7)))
        .add(c8.add(c9).add(c10.add(c11)).add(c12.add(c13).add(c14.add(c15))));
    return s.reduceLanes(VectorOperators.ADD);
  }
}
