package io.lorafleet.runtime.engine;

import io.lorafleet.runtime.backend.Backend;
import io.lorafleet.runtime.backend.ForwardBatch;
import io.lorafleet.runtime.backend.ForwardBatch.AdapterSegment;
import io.lorafleet.runtime.backend.ForwardBatch.SequenceRows;
import io.lorafleet.runtime.backend.Logits;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Turns a schedule into one flattened {@link ForwardBatch} (sequences grouped by adapter, so each adapter's
 * rows form one segment) and runs it on the backend. The adapters of the schedule must be on the device
 * already ({@link AdapterResidency#acquire}); the runner only looks their indexes up.
 */
public final class ModelRunner {
  private final Backend backend;
  private final AdapterResidency adapters;

  /**
   * Logits of one step, located per scheduled sequence (in the order given to {@link #run}).
   *
   * @param logits     the backend's logits
   * @param sampleRow  per sequence, the logits row to sample from, or -1 when this chunk does not reach its end
   * @param firstRow   per sequence, the logits row of its first row this step when all its rows were
   *                   requested (prompt logprobs), or -1
   */
  public record StepLogits(Logits logits, int[] sampleRow, int[] firstRow) {}

  ModelRunner(Backend backend, AdapterResidency adapters) {
    this.backend = backend;
    this.adapters = adapters;
  }

  public Backend backend() {
    return backend;
  }

  StepLogits run(List<ScheduledSequence> scheduled) {
    int n = scheduled.size();
    int[] index = new int[n];
    Integer[] order = new Integer[n];
    int rows = 0;
    for (int i = 0; i < n; i++) {
      index[i] = adapters.indexOf(scheduled.get(i).sequence().adapter());
      order[i] = i;
      rows += scheduled.get(i).numTokens();
    }
    // Stable: base rows first, then one run per adapter.
    java.util.Arrays.sort(order, Comparator.comparingInt(i -> index[i]));

    int[] tokens = new int[rows];
    int[] positions = new int[rows];
    List<SequenceRows> seqRows = new ArrayList<>(n);
    List<AdapterSegment> segments = new ArrayList<>();
    List<Integer> logitRows = new ArrayList<>();
    int[] sampleRow = new int[n];
    int[] firstRow = new int[n];
    int r = 0;
    for (int idx : order) {
      ScheduledSequence sc = scheduled.get(idx);
      Sequence s = sc.sequence();
      int start = s.numComputed();
      for (int j = 0; j < sc.numTokens(); j++) {
        tokens[r + j] = s.tokenAt(start + j);
        positions[r + j] = start + j;
      }
      seqRows.add(new SequenceRows(r, sc.numTokens(), s.blockTable(), index[idx]));
      if (!segments.isEmpty() && segments.getLast().adapterIndex() == index[idx]) {
        AdapterSegment last = segments.removeLast();
        segments.add(new AdapterSegment(index[idx], last.rowStart(), r + sc.numTokens()));
      } else {
        segments.add(new AdapterSegment(index[idx], r, r + sc.numTokens()));
      }
      boolean allRows = s.request().params().promptLogprobs() && start < s.promptLength();
      firstRow[idx] = -1;
      sampleRow[idx] = -1;
      if (allRows) {
        firstRow[idx] = logitRows.size();
        for (int j = 0; j < sc.numTokens(); j++) {
          logitRows.add(r + j);
        }
        if (sc.samplesAfter()) {
          sampleRow[idx] = logitRows.size() - 1;
        }
      } else if (sc.samplesAfter()) {
        sampleRow[idx] = logitRows.size();
        logitRows.add(r + sc.numTokens() - 1);
      }
      r += sc.numTokens();
    }
    // Rows are laid out in adapter order and logits rows were added as rows were, so they ascend.
    int[] lr = logitRows.stream().mapToInt(Integer::intValue).toArray();
    Logits logits = backend.forward(new ForwardBatch(tokens, positions, seqRows, segments, lr));
    return new StepLogits(logits, sampleRow, firstRow);
  }
}
