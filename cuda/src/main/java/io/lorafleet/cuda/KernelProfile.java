package io.lorafleet.cuda;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the device time of the backend's steps goes: every kernel launch, product and copy on the compute
 * stream is bracketed by two timed events while a profile is on ({@link CudaDiagnostics#startProfile}); after
 * each step the pairs are read back and summed per operation. The sum over operations is the time the
 * device was busy; the step's host time minus that is time the device waited (launch overhead, host work
 * between launches, the host's own part of the step). Events cost a few microseconds of host time each, so
 * a profiled step is slower than a plain one: compare operations with each other, not with plain steps.
 */
final class KernelProfile {
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
  void reset() {
    totals.clear();
    wallNanos = 0;
    steps = 0;
  }

  CudaDiagnostics.ProfileSummary summary() {
    List<CudaDiagnostics.ProfileEntry> entries = new ArrayList<>();
    totals.forEach((name, t) -> entries.add(new CudaDiagnostics.ProfileEntry(name, t.calls, t.millis)));
    entries.sort(Comparator.comparingDouble(CudaDiagnostics.ProfileEntry::totalMillis).reversed());
    return new CudaDiagnostics.ProfileSummary(steps, wallNanos / 1e6, entries);
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
