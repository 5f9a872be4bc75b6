package io.lorafleet.runtime.engine;

/** A sequence chosen for this step and how many of its uncomputed tokens run now. */
public record ScheduledSequence(Sequence sequence, int numTokens) {
  /** Whether this chunk reaches the end of the sequence, so a token is sampled after it. */
  public boolean samplesAfter() {
    return sequence.numComputed() + numTokens == sequence.numTokens();
  }
}
