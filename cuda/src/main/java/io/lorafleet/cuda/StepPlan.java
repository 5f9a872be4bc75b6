package io.lorafleet.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Everything the kernels of one step need to know about the batch, as flat arrays that go to the device
 * in one copy ({@link #writeTo}); {@link StepPlanner} builds it from a {@code ForwardBatch}. Pure data.
 *
 * @param rows            rows (tokens) in the step
 * @param tokens          token id per row
 * @param positions       position per row
 * @param kvPage          pool page of the KV block each row writes
 * @param kvOffset          offset within that block
 * @param rowPageStart    per row, where its sequence's pages start in {@code pageTable}
 * @param pageTable       pool pages of every sequence's blocks, sequence after sequence
 * @param decodeItems     (row, chunk) pairs of the decode path, grouped by row
 * @param decodeRows      rows on the decode path
 * @param decodeItemStart per decode row, its first item
 * @param decodeItemCount per decode row, its number of items (chunks)
 * @param prefillTiles    4 ints per prefill tile: first row, rows, page table offset, 0
 * @param headsPerTile    query heads per prefill block
 * @param loraItemRow     first row of each LoRA work item
 * @param loraItemCount   rows of each LoRA work item (at most {@link Kernels#LORA_ITEM_ROWS})
 * @param loraItemRoot    device address of the item's adapter root table
 * @param loraTargets     per layer, the targets (bit = LoraTarget ordinal) some adapter of the step changes
 * @param maxRank         largest rank among the step's adapters (0 without adapters)
 * @param logitRows       rows whose logits are wanted
 * @param maxPosition     largest position in the step
 * @param adapters        the device adapters the step uses
 */
record StepPlan(
    int rows,
    int[] tokens,
    int[] positions,
    int[] kvPage,
    int[] kvOffset,
    int[] rowPageStart,
    int[] pageTable,
    int[] decodeItems,
    int[] decodeRows,
    int[] decodeItemStart,
    int[] decodeItemCount,
    int[] prefillTiles,
    int headsPerTile,
    int[] loraItemRow,
    int[] loraItemCount,
    long[] loraItemRoot,
    int[] loraTargets,
    int maxRank,
    int[] logitRows,
    int maxPosition,
    List<DeviceAdapter> adapters) {

  /** The arrays, in the order they are laid out on the device. */
  public enum Section {
    TOKENS,
    POSITIONS,
    KV_PAGE,
    KV_OFFSET,
    ROW_PAGE_START,
    PAGE_TABLE,
    DECODE_ITEMS,
    DECODE_ROWS,
    DECODE_ITEM_START,
    DECODE_ITEM_COUNT,
    PREFILL_TILES,
    LORA_ITEM_ROW,
    LORA_ITEM_COUNT,
    LORA_ITEM_ROOT,
    LOGIT_ROWS
  }

  private static final int ALIGN = 16;
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  public StepPlan {
    adapters = List.copyOf(adapters);
  }

  public int numDecodeItems() {
    return decodeItems.length / 2;
  }

  public int numPrefillTiles() {
    return prefillTiles.length / 4;
  }

  public int numLoraItems() {
    return loraItemRow.length;
  }

  public boolean hasLora() {
    return loraItemRow.length > 0;
  }

  private Object array(Section s) {
    return switch (s) {
      case TOKENS -> tokens;
      case POSITIONS -> positions;
      case KV_PAGE -> kvPage;
      case KV_OFFSET -> kvOffset;
      case ROW_PAGE_START -> rowPageStart;
      case PAGE_TABLE -> pageTable;
      case DECODE_ITEMS -> decodeItems;
      case DECODE_ROWS -> decodeRows;
      case DECODE_ITEM_START -> decodeItemStart;
      case DECODE_ITEM_COUNT -> decodeItemCount;
      case PREFILL_TILES -> prefillTiles;
      case LORA_ITEM_ROW -> loraItemRow;
      case LORA_ITEM_COUNT -> loraItemCount;
      case LORA_ITEM_ROOT -> loraItemRoot;
      case LOGIT_ROWS -> logitRows;
    };
  }

  private static long bytesOf(Object a) {
    return a instanceof long[] l ? 8L * l.length : 4L * ((int[]) a).length;
  }

  /** Byte offset of each section in the packed form. */
  public Map<Section, Long> offsets() {
    Map<Section, Long> out = new EnumMap<>(Section.class);
    long at = 0;
    for (Section s : Section.values()) {
      out.put(s, at);
      at += (bytesOf(array(s)) + ALIGN - 1) / ALIGN * ALIGN;
    }
    return out;
  }

  /** Bytes of the packed form. */
  public long bytes() {
    long at = 0;
    for (Section s : Section.values()) {
      at += (bytesOf(array(s)) + ALIGN - 1) / ALIGN * ALIGN;
    }
    return at;
  }

  /** Packs every section at {@link #offsets()} into {@code dst} (at least {@link #bytes()} long); returns the offsets. */
  public Map<Section, Long> writeTo(MemorySegment dst) {
    Map<Section, Long> offsets = offsets();
    for (Section s : Section.values()) {
      long at = offsets.get(s);
      Object a = array(s);
      if (a instanceof long[] l) {
        for (int i = 0; i < l.length; i++) {
          dst.set(LONG, at + 8L * i, l[i]);
        }
      } else {
        int[] v = (int[]) a;
        MemorySegment.copy(v, 0, dst, INT, at, v.length);
      }
    }
    return offsets;
  }
}
