package io.lorafleet.runtime.backend.cpu;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a forward step's time goes, by phase (wall time on the calling thread, summed over steps). Off
 * unless the JVM runs with {@code -Dlorafleet.cpu.profile=true}; when off the JIT drops the calls.
 */
public final class PhaseClock {
  static final boolean ENABLED = Boolean.getBoolean("lorafleet.cpu.profile");

  /** The phases of a step, in forward order. */
  public enum Phase { EMBED, NORM, QKV, LORA, ROPE, ATTENTION, O, GATE_UP, SILU, DOWN, RESIDUAL, LM_HEAD }

  private final long[] nanos = new long[Phase.values().length];
  private long last;

  void start() {
    if (ENABLED) {
      last = System.nanoTime();
    }
  }

  void lap(Phase p) {
    if (ENABLED) {
      long now = System.nanoTime();
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
