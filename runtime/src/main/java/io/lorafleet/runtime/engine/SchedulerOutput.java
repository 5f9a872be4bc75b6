package io.lorafleet.runtime.engine;

import java.util.List;

/** One step's plan: sequences to run (with token counts) and those preempted to make room. */
public record SchedulerOutput(List<ScheduledSequence> scheduled, List<Sequence> preempted) {
  public SchedulerOutput {
    scheduled = List.copyOf(scheduled);
    preempted = List.copyOf(preempted);
  }

  public boolean isEmpty() {
    return scheduled.isEmpty();
  }

  public int numTokens() {
    return scheduled.stream().mapToInt(ScheduledSequence::numTokens).sum();
  }
}
