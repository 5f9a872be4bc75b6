package io.lorafleet.cuda;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the device time of the backend's steps goes: every kernel launch, product and copy on the compute
 * stream is bracketed by two timed events while a profile is on ({@link CudaBackend#startProfile}); after
 * each step the pairs are read back and summed per operation. The sum over operations is the time the
 * device was busy; the step's host time minus that is time the device waited (launch overhead, host work
 * between launches, the host's own part of the step). Events cost a few microseconds of host time each, so
 * a profiled step is slower than a plain one: compare operations with each other, not with plain steps.
 */
public final class KernelProfile {
  /**
   * One operation's totals.
   *
   * @param name        kernel name, {@code gemm[...]} for a product, {@code memcpy ...} for a copy
   * @param calls       launches over all profiled steps
   * @param totalMillis device time over all profiled steps
   */
  public record Entry(String name, long calls, double totalMillis) {
    public double meanMicros() {
      return calls == 0 ? 0 : totalMillis * 1000 / calls;
    }
  }

  /**
   * The profile of some steps.
   *
   * @param steps       steps profiled
   * @param wallMillis  host time of those steps (from the start of queueing to the end of the result copy)
   * @param entries     per operation, most device time first
   */
  public record Summary(int steps, double wallMillis, List<Entry> entries) {
    public Summary {
      entries = List.copyOf(entries);
    }

    public double deviceMillis() {
      return entries.stream().mapToDouble(Entry::totalMillis).sum();
    }

    public double wallMillisPerStep() {
      return steps == 0 ? 0 : wallMillis / steps;
    }

    public double deviceMillisPerStep() {
      return steps == 0 ? 0 : deviceMillis() / steps;
    }

    /** Per step, the host time in which the device ran none of the profiled operations. */
    public double idleMillisPerStep() {
      return Math.max(0, wallMillisPerStep() - deviceMillisPerStep());
    }

    public long launchesPerStep() {
      return steps == 0 ? 0 : entries.stream().mapToLong(Entry::calls).sum() / steps;
    }

    /** A plain-text table: one line per operation with calls and time per step, mean time and share. */
    public String table() {
      StringBuilder sb = new StringBuilder();
      double device = deviceMillis();
      int width = Math.max(9, entries.stream().mapToInt(e -> e.name().length()).max().orElse(9));
      sb.append(String.format(Locale.ROOT, "%-" + width + "s  %9s  %10s  %9s  %6s%n", "operation", "calls/step",
          "ms/step", "mean us", "share"));
      for (Entry e : entries) {
        sb.append(String.format(Locale.ROOT, "%-" + width + "s  %9.1f  %10.4f  %9.2f  %5.1f%%%n", e.name(),
            (double) e.calls() / Math.max(1, steps), e.totalMillis() / Math.max(1, steps), e.meanMicros(),
            device > 0 ? 100 * e.totalMillis() / device : 0));
      }
      sb.append(String.format(Locale.ROOT, "%d steps: host %.4f ms/step, device busy %.4f ms/step, device idle "
              + "%.4f ms/step, %d launches/step%n", steps, wallMillisPerStep(), deviceMillisPerStep(),
          idleMillisPerStep(), launchesPerStep()));
      return sb.toString();
    }
  }

  private record Pending(String name, GpuEvent start, GpuEvent end) {}

  private static final class Totals {
    long calls;
    double millis;
  }

  private final Gpu gpu;
  private final GpuStream stream;
  private final List<Pending> pending = new ArrayList<>();
  private final Map<String, Totals> totals = new LinkedHashMap<>();
  private long stepStart = -1;
  private long wallNanos;
  private int steps;

  KernelProfile(Gpu gpu, GpuStream stream) {
    this.gpu = gpu;
    this.stream = stream;
  }

  /** Whether operations queued on {@code s} are timed. */
  boolean times(GpuStream s) {
    return s == stream;
  }

  /** Queues {@code op} on the profiled stream between two timed events. */
  void time(String name, Runnable op) {
    GpuEvent start = gpu.recordTimed(stream);
    op.run();
    pending.add(new Pending(name, start, gpu.recordTimed(stream)));
  }

  void stepStarted() {
    stepStart = System.nanoTime();
  }

  /** Called once the step's stream work is complete: reads the events back and adds them up. */
  void stepFinished() {
    if (stepStart < 0) {
      return;
    }
    wallNanos += System.nanoTime() - stepStart;
    stepStart = -1;
    steps++;
    for (Pending p : pending) {
      gpu.synchronize(p.end());
      Totals t = totals.computeIfAbsent(p.name(), k -> new Totals());
      t.calls++;
      t.millis += gpu.elapsedMillis(p.start(), p.end());
      gpu.release(p.start());
      gpu.release(p.end());
    }
    pending.clear();
  }

  /** Forgets what was measured so far (after warm-up steps). */
  public void reset() {
    totals.clear();
    wallNanos = 0;
    steps = 0;
  }

  public Summary summary() {
    List<Entry> entries = new ArrayList<>();
    totals.forEach((name, t) -> entries.add(new Entry(name, t.calls, t.millis)));
    entries.sort(Comparator.comparingDouble(Entry::totalMillis).reversed());
    return new Summary(steps, wallNanos / 1e6, entries);
  }

  /** Releases the events of a step that never finished. */
  void discard() {
    for (Pending p : pending) {
      gpu.release(p.start());
      gpu.release(p.end());
    }
    pending.clear();
    stepStart = -1;
  }
}
