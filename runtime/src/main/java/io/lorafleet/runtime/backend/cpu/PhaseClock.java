package io.lorafleet.runtime.backend.cpu;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a forward step's time goes, by phase, summed over steps: wall time on the calling thread with
 * {@code -Dlorafleet.cpu.profile=true}, or its CPU time with {@code -Dlorafleet.cpu.profile=cpu} (with one
 * thread, immune to other processes taking the core). Off otherwise; then the JIT drops the calls.
 */
public final class PhaseClock {
  private static final String MODE = System.getProperty("lorafleet.cpu.profile", "false");
  static final boolean ENABLED = MODE.equals("true") || MODE.equals("cpu");
  private static final boolean CPU_TIME = MODE.equals("cpu");
  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  /** The phases of a step, in forward order. */
  public enum Phase { EMBED, NORM, QKV, LORA, ROPE, ATTENTION, O, GATE_UP, SILU, DOWN, RESIDUAL, LM_HEAD }

  private final long[] nanos = new long[Phase.values().length];
  private long last;

  private static long now() {
    return CPU_TIME ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
  }

  void start() {
    if (ENABLED) {
      last = now();
    }
  }

  void lap(Phase p) {
    if (ENABLED) {
      long now = now();
      nanos[p.ordinal()] += now - last;
      last = now;
    }
  }

  /** Milliseconds per phase since the last reset (all zero when profiling is off). */
  public Map<Phase, Double> millis() {
    Map<Phase, Double> m = new LinkedHashMap<>();
    for (Phase p : Phase.values()) {
      m.put(p, nanos[p.ordinal()] / 1e6);
    }
    return m;
  }

  public void reset() {
    java.util.Arrays.fill(nanos, 0);
  }
}
