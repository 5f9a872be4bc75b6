package io.lorafleet.cuda;

import io.lorafleet.runtime.backend.ForwardBatch;
import io.lorafleet.runtime.backend.ForwardBatch.AdapterSegment;
import io.lorafleet.runtime.backend.ForwardBatch.SequenceRows;
import io.lorafleet.runtime.backend.RowSampling;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.IntUnaryOperator;

/**
 * The inputs of a decode step (every sequence one row, every row a logits row), laid out at fixed offsets
 * so that the decode graphs captured once per batch-size bucket read them from the same device addresses
 * every step: token ids, positions, cache slots, page tables, LoRA items and sampling parameters, sized
 * for the largest bucket. A step of n rows in bucket B fills rows n..B-1 as padding (token 0 at position 0,
 * writing and reading a scratch page, no adapter, not sampled), so the graph of B computes them harmlessly.
 * Written straight from the {@code ForwardBatch} into page-locked memory (no intermediate arrays) and copied
 * to the device in one piece: the fixed sections and the used part of the page table; the penalty tokens
 * and the masks follow in their own copies only when a row has them. Pure Java.
 */
final class DecodeInputs {
  /** The sections, in layout order. */
  enum Section {
    TOKENS,
    POSITIONS,
    KV_PAGE,
    KV_SLOT,
    ROW_PAGE_START,
    DECODE_ROWS,
    LORA_ITEM_ROW,
    LORA_ITEM_COUNT,
    LORA_ITEM_ROOT,
    SAMPLE_PARAMS,
    PAGE_TABLE,
    PENALTY_TOKENS,
    MASKS
  }

  private static final int ALIGN = 256;
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /**
   * Where each section is.
   *
   * @param maxRows         rows of the largest bucket
   * @param pageCapacity    page-table entries (entry 0 is the scratch page of padding rows)
   * @param penaltyCapacity penalty tokens of all rows together
   * @param maskWords       32-bit words of one row's allowed-token mask
   * @param offsets         byte offset of each section
   * @param bytes           bytes of the whole region
   */
  record Layout(int maxRows, int pageCapacity, int penaltyCapacity, int maskWords, Map<Section, Long> offsets,
      long bytes) {
    long at(Section s) {
      return offsets.get(s);
    }
  }

  /**
   * What one step wrote.
   *
   * @param rows         rows of the step
   * @param bucket       rows of the graph that runs it
   * @param loraTargets  the targets (bit = LoraTarget ordinal) some adapter of the step changes, in any layer
   * @param adapters     the device adapters the step uses
   * @param headBytes    bytes of the first copy (fixed sections and the used page table)
   * @param penaltyBytes bytes of penalty tokens (0: no copy)
   * @param maskBytes    bytes of masks (0: no copy)
   * @param maxPosition  largest position of the step
   */
  record Written(int rows, int bucket, int loraTargets, List<DeviceAdapter> adapters, long headBytes,
      long penaltyBytes, long maskBytes, int maxPosition) {}

  private DecodeInputs() {}

  static Layout layout(int maxRows, int pageCapacity, int penaltyCapacity, int vocab) {
    int words = SamplingInputs.maskWords(vocab);
    Map<Section, Long> off = new EnumMap<>(Section.class);
    long at = 0;
    for (Section s : Section.values()) {
      off.put(s, at);
      long bytes = switch (s) {
        case LORA_ITEM_ROOT -> 8L * maxRows;
        case SAMPLE_PARAMS -> (long) SamplingInputs.PARAMS_BYTES * maxRows;
        case PAGE_TABLE -> 4L * pageCapacity;
        case PENALTY_TOKENS -> 4L * penaltyCapacity;
        case MASKS -> 4L * words * maxRows;
        default -> 4L * maxRows;
      };
      at += (bytes + ALIGN - 1) / ALIGN * ALIGN;
    }
    return new Layout(maxRows, pageCapacity, penaltyCapacity, words, off, at);
  }

  /** Whether {@code b} is a decode step: every sequence one row, the logits of every row in row order. */
  static boolean isDecode(ForwardBatch b) {
    int rows = b.numRows();
    if (b.sequences().size() != rows || b.logitRows().length != rows) {
      return false;
    }
    for (SequenceRows s : b.sequences()) {
      if (s.rowCount() != 1) {
        return false;
      }
    }
    for (int i = 0; i < rows; i++) {
      if (b.logitRows()[i] != i) {
        return false;
      }
    }
    return true;
  }

  /**
   * Writes decode step {@code b} for a graph of {@code bucket} rows into {@code host} (at least {@code
   * layout.bytes()}), checking it against the cache as {@link StepPlanner} does.
   *
   * @param pageOfBlock the pool page holding KV block id b
   * @param adapterOf   the device adapter at an index, or null when none is uploaded there
   * @param scratchPage the pool page padding rows write and read
   * @param stamp       a number no earlier step used (marks the adapters seen in this one)
   */
  static Written write(MemorySegment host, Layout layout, ForwardBatch b, RowSampling[] sampling, int bucket,
      int blockSize, int numBlocks, int vocab, IntUnaryOperator pageOfBlock, IntFunction<DeviceAdapter> adapterOf,
      int scratchPage, long stamp) {
    final int n = b.numRows();
    if (n > bucket || bucket > layout.maxRows()) {
      throw new IllegalArgumentException(n + " rows in a bucket of " + bucket + " (at most " + layout.maxRows() + ")");
    }
    if (sampling.length != n) {
      throw new IllegalArgumentException(sampling.length + " sampling rows for " + n + " logits rows");
    }
    long tokens = layout.at(Section.TOKENS);
    long positions = layout.at(Section.POSITIONS);
    long kvPage = layout.at(Section.KV_PAGE);
    long kvSlot = layout.at(Section.KV_SLOT);
    long rowPageStart = layout.at(Section.ROW_PAGE_START);
    long decodeRows = layout.at(Section.DECODE_ROWS);
    long pageTable = layout.at(Section.PAGE_TABLE);
    host.set(INT, pageTable, scratchPage);
    int pages = 1;
    int maxPosition = 0;
    boolean[] seen = new boolean[n];
    for (int i = 0; i < n; i++) {
      SequenceRows s = b.sequences().get(i);
      int r = s.rowStart();
      if (r < 0 || r >= n) {
        throw new IllegalArgumentException("sequence " + i + ": row " + r + " outside the batch of " + n);
      }
      if (seen[r]) {
        throw new IllegalArgumentException("row " + r + " belongs to two sequences");
      }
      seen[r] = true;
      int pos = b.positions()[r];
      if (pos < 0) {
        throw new IllegalArgumentException("sequence " + i + ": position " + pos);
      }
      maxPosition = Math.max(maxPosition, pos);
      int blocks = pos / blockSize + 1;
      int[] table = s.blockTable();
      if (table.length < blocks) {
        throw new IllegalArgumentException("sequence " + i + ": block table too short for position " + pos);
      }
      if (pages + blocks > layout.pageCapacity()) {
        throw new IllegalArgumentException("the decode step's page tables exceed " + layout.pageCapacity()
            + " entries (blocks shared between sequences?)");
      }
      int start = pages;
      for (int k = 0; k < blocks; k++) {
        int id = table[k];
        if (id < 0 || id >= numBlocks) {
          throw new IllegalArgumentException("sequence " + i + ": block id " + id + " outside the cache");
        }
        host.set(INT, pageTable + 4L * pages++, pageOfBlock.applyAsInt(id));
      }
      host.set(INT, tokens + 4L * r, b.tokenIds()[r]);
      host.set(INT, positions + 4L * r, pos);
      host.set(INT, kvPage + 4L * r, host.get(INT, pageTable + 4L * (start + pos / blockSize)));
      host.set(INT, kvSlot + 4L * r, pos % blockSize);
      host.set(INT, rowPageStart + 4L * r, start);
    }
    for (int r = n; r < bucket; r++) {
      host.set(INT, tokens + 4L * r, 0);
      host.set(INT, positions + 4L * r, 0);
      host.set(INT, kvPage + 4L * r, scratchPage);
      host.set(INT, kvSlot + 4L * r, 0);
      host.set(INT, rowPageStart + 4L * r, 0);
    }
    for (int r = 0; r < bucket; r++) {
      host.set(INT, decodeRows + 4L * r, r);
    }

    // LoRA items: each segment with an adapter cut into runs of at most LORA_ITEM_ROWS rows; the rest of the
    // bucket's items are empty (root 0).
    long itemRow = layout.at(Section.LORA_ITEM_ROW);
    long itemCount = layout.at(Section.LORA_ITEM_COUNT);
    long itemRoot = layout.at(Section.LORA_ITEM_ROOT);
    List<DeviceAdapter> used = new ArrayList<>();
    int targets = 0;
    int items = 0;
    int covered = 0;
    for (AdapterSegment seg : b.segments()) {
      if (seg.rowStart() != covered || seg.rowEnd() <= seg.rowStart() || seg.rowEnd() > n) {
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
      if (a.markUsed(stamp)) {
        used.add(a);
        targets |= a.allTargets();
      }
      for (int r = seg.rowStart(); r < seg.rowEnd(); r += Kernels.LORA_ITEM_ROWS) {
        host.set(INT, itemRow + 4L * items, r);
        host.set(INT, itemCount + 4L * items, Math.min(Kernels.LORA_ITEM_ROWS, seg.rowEnd() - r));
        host.set(LONG, itemRoot + 8L * items, a.root());
        items++;
      }
    }
    if (covered != n) {
      throw new IllegalArgumentException("segments cover " + covered + " of " + n + " rows");
    }
    for (int i = items; i < bucket; i++) {
      host.set(INT, itemRow + 4L * i, 0);
      host.set(INT, itemCount + 4L * i, 0);
      host.set(LONG, itemRoot + 8L * i, 0L);
    }

    // Sampling: the step's rows, then padding rows the device skips.
    long params = layout.at(Section.SAMPLE_PARAMS);
    SamplingInputs.Sizes sizes = SamplingInputs.sizes(sampling, 0, n);
    if (sizes.penaltyTokens() > layout.penaltyCapacity()) {
      throw new IllegalArgumentException(sizes.penaltyTokens() + " penalty tokens; the decode inputs hold "
          + layout.penaltyCapacity());
    }
    SamplingInputs.write(host, sampling, 0, n, vocab, params, layout.at(Section.PENALTY_TOKENS),
        layout.at(Section.MASKS));
    for (int r = n; r < bucket; r++) {
      SamplingInputs.writeSkipped(host, params + (long) SamplingInputs.PARAMS_BYTES * r);
    }
    return new Written(n, bucket, targets, used, pageTable + 4L * pages, 4L * sizes.penaltyTokens(),
        4L * layout.maskWords() * sizes.maskRows(), maxPosition);
  }
}
