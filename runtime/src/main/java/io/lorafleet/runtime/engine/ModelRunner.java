package io.lorafleet.runtime.engine;

import io.lorafleet.runtime.backend.Backend;
import io.lorafleet.runtime.backend.ForwardBatch;
import io.lorafleet.runtime.backend.ForwardBatch.AdapterSegment;
import io.lorafleet.runtime.backend.ForwardBatch.SequenceRows;
import io.lorafleet.runtime.backend.Logits;
import io.lorafleet.runtime.backend.RowSampling;
import io.lorafleet.runtime.backend.SampledLogits;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Turns a schedule into one flattened {@link ForwardBatch} (sequences grouped by adapter, so each adapter's
 * rows form one segment) and runs it on the backend. The adapters of the schedule must be on the device
 * already ({@link AdapterResidency#acquire}); the runner only looks their indexes up.
 *
 * <p>On a backend that samples on the device ({@link Backend#samplesOnDevice}) each sampled row goes down
 * with its sequence's sampling parameters ({@link RowSampling}) and comes back as a token and its logprob;
 * the rows the engine must see whole (top logprobs, prompt logprobs, output constraints) go down as {@link
 * RowSampling#HOST} and come back as logits. The runner draws a non-greedy row's uniform number from the sequence's random
 * stream here, exactly once per sampled token as the host Sampler would, so a seeded request samples the
 * same stream on either side.
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
   * @param deviceChoice per sequence, the token the backend chose on the device (then its sampleRow is -1),
   *                   or null; the array is null when the backend samples nothing
   */
  public record StepLogits(Logits logits, int[] sampleRow, int[] firstRow, Sampler.Choice[] deviceChoice) {
    /** The device's choice for sequence {@code i}, or null when the engine samples it from {@link #logits}. */
    Sampler.Choice deviceChoice(int i) {
      return deviceChoice == null ? null : deviceChoice[i];
    }
  }

  /** Per token id, the call of {@link #distinctTokens} that last saw it. */
  private int[] seen = new int[0];
  private int seenStamp;

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
    ForwardBatch batch = new ForwardBatch(tokens, positions, seqRows, segments, lr);
    if (!backend.samplesOnDevice()) {
      return new StepLogits(backend.forward(batch), sampleRow, firstRow, null);
    }
    RowSampling[] sampling = new RowSampling[lr.length];
    Arrays.fill(sampling, RowSampling.HOST); // prompt-logprob rows
    for (int i = 0; i < n; i++) {
      if (sampleRow[i] >= 0 && firstRow[i] < 0) {
        sampling[sampleRow[i]] = sampling(scheduled.get(i).sequence());
      }
    }
    SampledLogits out = backend.forwardSampled(batch, sampling);
    Sampler.Choice[] device = new Sampler.Choice[n];
    int[] hostSample = new int[n];
    int[] hostFirst = new int[n];
    for (int i = 0; i < n; i++) {
      hostFirst[i] = firstRow[i] < 0 ? -1 : out.hostRow()[firstRow[i]];
      hostSample[i] = -1;
      if (sampleRow[i] >= 0) {
        int at = sampleRow[i];
        if (out.hostRow()[at] >= 0) {
          hostSample[i] = out.hostRow()[at];
        } else {
          device[i] = new Sampler.Choice(out.tokens()[at], out.logprobs()[at], List.of());
        }
      }
    }
    return new StepLogits(out.hostLogits(), hostSample, hostFirst, device);
  }

  /**
   * A sequence's next token on the device, or on the host when it wants its top logprobs or has an output
   * constraint (its mask is computed on the engine's mask worker while this step runs, so it is not known
   * when the step is queued; the host Sampler applies it).
   */
  private RowSampling sampling(Sequence s) {
    SamplingParams p = s.request().params();
    if (p.topLogprobs() > 0 || s.constraint != null) {
      return RowSampling.HOST;
    }
    double uniform = p.isGreedy() ? 0 : s.samplerState.random.nextDouble();
    int[] penalty = p.repetitionPenalty() != 1.0 ? distinctTokens(s) : null;
    return new RowSampling(p.temperature(), p.topK(), p.topP(), p.repetitionPenalty(), uniform, penalty, null, false);
  }

  /** The distinct tokens of {@code s}'s context, in first-seen order (what the repetition penalty touches). */
  private int[] distinctTokens(Sequence s) {
    int vocab = backend.config().vocabSize();
    if (seen.length != vocab) {
      seen = new int[vocab];
      seenStamp = 0;
    }
    if (++seenStamp == 0) {
      Arrays.fill(seen, 0);
      seenStamp = 1;
    }
    int[] context = s.tokenArray();
    int len = s.numTokens();
    int[] out = new int[len];
    int k = 0;
    for (int i = 0; i < len; i++) {
      int t = context[i];
      if (t >= 0 && t < vocab && seen[t] != seenStamp) {
        seen[t] = seenStamp;
        out[k++] = t;
      }
    }
    return Arrays.copyOf(out, k);
  }
}
