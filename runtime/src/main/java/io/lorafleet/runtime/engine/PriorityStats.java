package io.lorafleet.runtime.engine;

/**
 * The engine's load and history per {@link PriorityClass}, each array indexed by {@link PriorityClass#ordinal()};
 * a request counts in the class it asked for (aging moves it in the scheduler, not here).
 *
 * @param waiting   requests queued (accepted, not yet running)
 * @param running   sequences in the running batch
 * @param admitted  requests admitted into the running batch since the start (once each: a preempted
 *                  sequence that runs again is not counted again)
 * @param preempted preemptions since the start (by KV-cache pressure or for a more urgent class)
 * @param promoted  sequences that left the class by aging since the start (by the class they left)
 */
public record PriorityStats(int[] waiting, int[] running, long[] admitted, long[] preempted, long[] promoted) {
  public static final PriorityStats EMPTY = new PriorityStats(new int[3], new int[3], new long[3], new long[3],
      new long[3]);

  public int waiting(PriorityClass c) {
    return waiting[c.ordinal()];
  }

  public int running(PriorityClass c) {
    return running[c.ordinal()];
  }

  public long admitted(PriorityClass c) {
    return admitted[c.ordinal()];
  }

  public long preempted(PriorityClass c) {
    return preempted[c.ordinal()];
  }

  public long promoted(PriorityClass c) {
    return promoted[c.ordinal()];
  }
}
