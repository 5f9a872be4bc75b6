package io.lorafleet.runtime.backend;

import java.util.List;

/**
 * One flattened step for {@link Backend#forward}. Rows are tokens; each sequence owns a contiguous run of
 * rows at consecutive ascending positions, and the positions before its first row are already in the KV
 * cache (written by earlier steps); sequences that share an adapter are contiguous, and {@link #segments()}
 * lists those runs (the SGMV layout: base projections once for all rows, LoRA once per segment).
 *
 * @param tokenIds   token id of each row
 * @param positions  position of each row in its sequence
 * @param sequences  the sequences in row order
 * @param segments   maximal runs of rows with the same adapter, in row order, covering all rows
 * @param logitRows  rows whose logits are wanted, ascending
 */
public record ForwardBatch(
    int[] tokenIds, int[] positions, List<SequenceRows> sequences, List<AdapterSegment> segments, int[] logitRows) {

  public ForwardBatch {
    sequences = List.copyOf(sequences);
    segments = List.copyOf(segments);
  }

  public int numRows() {
    return tokenIds.length;
  }

  /**
   * A sequence's rows in this step.
   *
   * @param rowStart    first row
   * @param rowCount    rows this step (1 for decode, a chunk for prefill)
   * @param blockTable  KV block ids covering positions {@code 0 .. positions[rowStart + rowCount - 1]}
   * @param adapterIndex the index {@link Backend#uploadAdapter} gave the sequence's adapter, or -1 for the base
   *                     model
   */
  public record SequenceRows(int rowStart, int rowCount, int[] blockTable, int adapterIndex) {
    public int rowEnd() {
      return rowStart + rowCount;
    }
  }

  /** Rows {@code [rowStart, rowEnd)} all use the adapter at {@code adapterIndex} (-1: no adapter). */
  public record AdapterSegment(int adapterIndex, int rowStart, int rowEnd) {
    public int rows() {
      return rowEnd - rowStart;
    }
  }
}
