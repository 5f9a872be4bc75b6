package io.lorafleet.cuda;

import io.lorafleet.runtime.backend.ForwardBatch;
import io.lorafleet.runtime.backend.ForwardBatch.AdapterSegment;
import io.lorafleet.runtime.backend.ForwardBatch.SequenceRows;
import io.lorafleet.runtime.primitives.IntList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.function.IntUnaryOperator;

/**
 * Turns a {@link ForwardBatch} into a {@link StepPlan}: checks it against the cache, resolves KV blocks
 * to pool pages and adapter indexes to device adapters, and cuts the work into the pieces the kernels take
 * (decode rows and how many ranges their contexts split into, prefill tiles, LoRA items). Pure Java.
 */
final class StepPlanner {
  /**
   * The sizes planning depends on.
   *
   * @param numLayers   decoder layers
   * @param numHeads    query heads
   * @param numKvHeads  KV heads
   * @param blockSize   tokens per KV block
   * @param numBlocks   KV block ids are {@code 0 .. numBlocks - 1}
   * @param multiprocessors the device's SMs (decode rows split their contexts to fill them)
   */
  public record Shape(int numLayers, int numHeads, int numKvHeads, int blockSize, int numBlocks,
      int multiprocessors) {
    public int group() {
      return numHeads / numKvHeads;
    }

    /** Query heads one prefill block handles. */
    public int prefillHeadsPerBlock() {
      return Math.min(group(), Kernels.PREFILL_MAX_QUERIES);
    }

    /** Rows one prefill tile holds. */
    public int prefillRowsPerTile() {
      return Math.max(1, Kernels.PREFILL_MAX_QUERIES / prefillHeadsPerBlock());
    }
  }

  private StepPlanner() {}

  /**
   * @param pageOfBlock the pool page holding KV block id b
   * @param adapterOf   the device adapter at an index, or null when none is uploaded there
   */
  public static StepPlan plan(ForwardBatch b, Shape shape, IntUnaryOperator pageOfBlock,
      IntFunction<DeviceAdapter> adapterOf) {
    final int rows = b.numRows();
    if (b.positions().length != rows) {
      throw new IllegalArgumentException(b.positions().length + " positions for " + rows + " rows");
    }
    final int bs = shape.blockSize();
    int[] kvPage = new int[rows];
    int[] kvOffset = new int[rows];
    int[] rowPageStart = new int[rows];
    int[] rowSeq = new int[rows];
    Arrays.fill(rowSeq, -1);
    IntList pageTable = new IntList();
    IntList decodeRows = new IntList();
    IntList tiles = new IntList();
    int maxPosition = 0;

    List<SequenceRows> seqs = b.sequences();
    for (int i = 0; i < seqs.size(); i++) {
      SequenceRows s = seqs.get(i);
      if (s.rowCount() < 1 || s.rowStart() < 0 || s.rowEnd() > rows) {
        throw new IllegalArgumentException("sequence " + i + ": rows [" + s.rowStart() + ", " + s.rowEnd()
            + ") outside the batch of " + rows);
      }
      int last = b.positions()[s.rowEnd() - 1];
      int blocksNeeded = last / bs + 1;
      int[] table = s.blockTable();
      if (table.length < blocksNeeded) {
        throw new IllegalArgumentException("sequence " + i + ": block table too short for position " + last);
      }
      int pageStart = pageTable.size();
      for (int k = 0; k < blocksNeeded; k++) {
        int id = table[k];
        if (id < 0 || id >= shape.numBlocks()) {
          throw new IllegalArgumentException("sequence " + i + ": block id " + id + " outside the cache");
        }
        pageTable.add(pageOfBlock.applyAsInt(id));
      }
      for (int r = s.rowStart(); r < s.rowEnd(); r++) {
        if (rowSeq[r] >= 0) {
          throw new IllegalArgumentException("row " + r + " belongs to sequences " + rowSeq[r] + " and " + i);
        }
        int pos = b.positions()[r];
        if (pos < 0 || pos > last) {
          throw new IllegalArgumentException("sequence " + i + ": row " + r + " at position " + pos
              + " after the sequence's last row (" + last + ")");
        }
        rowSeq[r] = i;
        kvPage[r] = pageTable.get(pageStart + pos / bs);
        kvOffset[r] = pos % bs;
        rowPageStart[r] = pageStart;
        maxPosition = Math.max(maxPosition, pos);
      }
      if (s.rowCount() == 1) {
        decodeRows.add(s.rowStart());
      } else {
        for (int r = s.rowStart() + 1; r < s.rowEnd(); r++) {
          if (b.positions()[r] != b.positions()[r - 1] + 1) {
            throw new IllegalArgumentException("sequence " + i + ": rows " + (r - 1) + " and " + r
                + " are not at consecutive positions");
          }
        }
        int per = shape.prefillRowsPerTile();
        for (int r = s.rowStart(); r < s.rowEnd(); r += per) {
          tiles.add(r);
          tiles.add(Math.min(per, s.rowEnd() - r));
          tiles.add(pageStart);
          tiles.add(0);
        }
      }
    }
    for (int r = 0; r < rows; r++) {
      if (rowSeq[r] < 0) {
        throw new IllegalArgumentException("row " + r + " belongs to no sequence");
      }
    }

    // LoRA: the segments with an adapter, cut into items of at most LORA_ITEM_ROWS rows.
    IntList itemRow = new IntList();
    IntList itemCount = new IntList();
    List<Long> itemRoot = new ArrayList<>();
    Set<DeviceAdapter> used = new LinkedHashSet<>();
    int[] loraTargets = new int[shape.numLayers()];
    int maxRank = 0;
    int covered = 0;
    for (AdapterSegment seg : b.segments()) {
      if (seg.rowStart() != covered || seg.rowEnd() <= seg.rowStart() || seg.rowEnd() > rows) {
        throw new IllegalArgumentException("segments must cover the rows in order; got [" + seg.rowStart() + ", "
            + seg.rowEnd() + ") after row " + covered);
      }
      covered = seg.rowEnd();
      if (seg.adapterIndex() < 0) {
        continue;
      }
      DeviceAdapter a = adapterOf.apply(seg.adapterIndex());
      if (a == null) {
        throw new IllegalArgumentException("no adapter is uploaded at index " + seg.adapterIndex());
      }
      if (used.add(a)) {
        maxRank = Math.max(maxRank, a.maxRank());
        for (int l = 0; l < shape.numLayers(); l++) {
          loraTargets[l] |= a.targets(l);
        }
      }
      for (int r = seg.rowStart(); r < seg.rowEnd(); r += Kernels.LORA_ITEM_ROWS) {
        itemRow.add(r);
        itemCount.add(Math.min(Kernels.LORA_ITEM_ROWS, seg.rowEnd() - r));
        itemRoot.add(a.root());
      }
    }
    if (covered != rows) {
      throw new IllegalArgumentException("segments cover " + covered + " of " + rows + " rows");
    }

    int[] logitRows = b.logitRows().clone();
    for (int i = 0; i < logitRows.length; i++) {
      if (logitRows[i] < 0 || logitRows[i] >= rows || (i > 0 && logitRows[i] <= logitRows[i - 1])) {
        throw new IllegalArgumentException("logit rows must ascend within the batch: " + Arrays.toString(logitRows));
      }
    }

    int splits = Kernels.decodeSplits(decodeRows.size(), shape.numKvHeads(), shape.multiprocessors());
    return new StepPlan(rows, b.tokenIds().clone(), b.positions().clone(), kvPage, kvOffset, rowPageStart,
        pageTable.toArray(), decodeRows.toArray(), splits, tiles.toArray(), shape.prefillHeadsPerBlock(),
        itemRow.toArray(), itemCount.toArray(),
        itemRoot.stream().mapToLong(Long::longValue).toArray(), loraTargets, maxRank, logitRows, maxPosition,
        List.copyOf(used));
  }
}
