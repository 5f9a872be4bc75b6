package io.lorafleet.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.backend.ForwardBatch;
import io.lorafleet.runtime.backend.ForwardBatch.AdapterSegment;
import io.lorafleet.runtime.backend.ForwardBatch.SequenceRows;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class StepPlannerTest {
  /** 4 layers, 8 heads over 2 KV heads (group 4), blocks of 4 tokens, 100 blocks, decode chunks of 8. */
  private static final StepPlanner.Shape SHAPE = new StepPlanner.Shape(4, 8, 2, 4, 100, 8);

  private static int page(int block) {
    return 1000 + block;
  }

  /** seq 0: decode at position 19 (blocks 7..11); seq 1: prefill 6 rows at 2..7 (blocks 3, 4); seq 2: decode at 0. */
  private static ForwardBatch batch(List<AdapterSegment> segments) {
    int[] tokens = {11, 21, 22, 23, 24, 25, 26, 31};
    int[] positions = {19, 2, 3, 4, 5, 6, 7, 0};
    return new ForwardBatch(tokens, positions, List.of(
        new SequenceRows(0, 1, new int[] {7, 8, 9, 10, 11, 99}, -1),
        new SequenceRows(1, 6, new int[] {3, 4}, -1),
        new SequenceRows(7, 1, new int[] {50}, -1)), segments, new int[] {0, 6, 7});
  }

  @Test
  void rowsGetTheirCacheSlotsAndPageTables() {
    StepPlan p = StepPlanner.plan(batch(List.of(new AdapterSegment(-1, 0, 8))), SHAPE, StepPlannerTest::page,
        s -> null);
    assertEquals(8, p.rows());
    // Only the blocks up to each sequence's last position go into the page table.
    assertArrayEquals(new int[] {1007, 1008, 1009, 1010, 1011, 1003, 1004, 1050}, p.pageTable());
    assertArrayEquals(new int[] {0, 5, 5, 5, 5, 5, 5, 7}, p.rowPageStart());
    assertArrayEquals(new int[] {1011, 1003, 1003, 1004, 1004, 1004, 1004, 1050}, p.kvPage());
    assertArrayEquals(new int[] {3, 2, 3, 0, 1, 2, 3, 0}, p.kvOffset());
    assertEquals(19, p.maxPosition());
    assertArrayEquals(new int[] {0, 6, 7}, p.logitRows());
  }

  @Test
  void decodeRowsAreChunkedAndPrefillRowsTiled() {
    StepPlan p = StepPlanner.plan(batch(List.of(new AdapterSegment(-1, 0, 8))), SHAPE, StepPlannerTest::page,
        s -> null);
    // Row 0 sees 20 positions: chunks of 8 -> 3 items; row 7 sees 1 -> 1 item.
    assertArrayEquals(new int[] {0, 0, 0, 1, 0, 2, 7, 0}, p.decodeItems());
    assertArrayEquals(new int[] {0, 7}, p.decodeRows());
    assertArrayEquals(new int[] {0, 3}, p.decodeItemStart());
    assertArrayEquals(new int[] {3, 1}, p.decodeItemCount());
    // Group 4: 4 heads per block, 16 / 4 = 4 rows per tile: rows 1..4 and 5..6.
    assertEquals(4, p.headsPerTile());
    assertArrayEquals(new int[] {1, 4, 5, 0, 5, 2, 5, 0}, p.prefillTiles());
  }

  @Test
  void adapterSegmentsBecomeLoraItemsOfAtMostEightRows() {
    try (LlamaModel model = CudaFixtures.model()) {
      Map<String, LoraAdapter> all = CudaFixtures.adapters(model);
      DeviceAdapter a = new DeviceAdapter(all.get("adapter-qv-r8"), new int[] {1}, 0xA000, null, null);
      DeviceAdapter b = new DeviceAdapter(all.get("adapter-all-r16"), new int[] {2}, 0xB000, null, null);
      int rows = 20;
      int[] tokens = new int[rows];
      int[] positions = IntStream.range(0, rows).toArray();
      ForwardBatch fb = new ForwardBatch(tokens, positions,
          List.of(new SequenceRows(0, 2, new int[] {0}, -1), new SequenceRows(2, 11, new int[] {1, 2, 3, 4}, 0),
              new SequenceRows(13, 7, new int[] {5, 6, 7, 8, 9}, 1)),
          List.of(new AdapterSegment(-1, 0, 2), new AdapterSegment(0, 2, 13), new AdapterSegment(1, 13, 20)),
          new int[] {19});
      // Positions restart per sequence in real batches; here they only need to be consecutive.
      StepPlan p = StepPlanner.plan(fb, new StepPlanner.Shape(4, 4, 2, 4, 100, 256), id -> id,
          index -> index == 0 ? a : b);
      assertArrayEquals(new int[] {2, 10, 13}, p.loraItemRow());
      assertArrayEquals(new int[] {8, 3, 7}, p.loraItemCount());
      assertArrayEquals(new long[] {0xA000, 0xA000, 0xB000}, p.loraItemRoot());
      assertEquals(16, p.maxRank());
      assertEquals(List.of(a, b), p.adapters());
      // qv-r8 changes q and v; all-r16 every projection: the union per layer.
      assertEquals(0b1111111, p.loraTargets()[0]);
    }
  }

  @Test
  void packedPlanHoldsEverySectionAtItsOffset() {
    StepPlan p = StepPlanner.plan(batch(List.of(new AdapterSegment(-1, 0, 8))), SHAPE, StepPlannerTest::page,
        s -> null);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment m = arena.allocate(p.bytes());
      Map<StepPlan.Section, Long> off = p.writeTo(m);
      assertArrayEquals(p.tokens(), m.asSlice(off.get(StepPlan.Section.TOKENS), 4L * p.rows())
          .toArray(ValueLayout.JAVA_INT));
      assertArrayEquals(p.pageTable(), m.asSlice(off.get(StepPlan.Section.PAGE_TABLE), 4L * p.pageTable().length)
          .toArray(ValueLayout.JAVA_INT));
      assertArrayEquals(p.prefillTiles(), m.asSlice(off.get(StepPlan.Section.PREFILL_TILES),
          4L * p.prefillTiles().length).toArray(ValueLayout.JAVA_INT));
      for (long o : off.values()) {
        assertEquals(0, o % 16, "sections are 16-byte aligned");
      }
      assertTrue(off.get(StepPlan.Section.LOGIT_ROWS) + 4L * p.logitRows().length <= p.bytes());
    }
  }

  @Test
  void malformedBatchesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> StepPlanner.plan(new ForwardBatch(new int[] {1}, new int[] {9},
        List.of(new SequenceRows(0, 1, new int[] {0, 1}, -1)), List.of(new AdapterSegment(-1, 0, 1)), new int[] {0}),
        SHAPE, StepPlannerTest::page, s -> null), "block table too short");
    assertThrows(IllegalArgumentException.class, () -> StepPlanner.plan(new ForwardBatch(new int[] {1}, new int[] {0},
        List.of(new SequenceRows(0, 1, new int[] {100}, -1)), List.of(new AdapterSegment(-1, 0, 1)), new int[] {0}),
        SHAPE, StepPlannerTest::page, s -> null), "block id outside the cache");
    assertThrows(IllegalArgumentException.class, () -> StepPlanner.plan(new ForwardBatch(new int[] {1}, new int[] {0},
        List.of(new SequenceRows(0, 1, new int[] {0}, 3)), List.of(new AdapterSegment(3, 0, 1)), new int[] {0}),
        SHAPE, StepPlannerTest::page, s -> null), "no adapter uploaded at that index");
    assertThrows(IllegalArgumentException.class, () -> StepPlanner.plan(new ForwardBatch(new int[] {1, 2},
        new int[] {0, 1}, List.of(new SequenceRows(0, 2, new int[] {0}, -1)), List.of(new AdapterSegment(-1, 0, 1)),
        new int[] {1}), SHAPE, StepPlannerTest::page, s -> null), "segments must cover every row");
    assertThrows(IllegalArgumentException.class, () -> StepPlanner.plan(new ForwardBatch(new int[] {1, 2},
        new int[] {0, 2}, List.of(new SequenceRows(0, 2, new int[] {0}, -1)), List.of(new AdapterSegment(-1, 0, 2)),
        new int[] {1}), SHAPE, StepPlannerTest::page, s -> null), "positions must be consecutive");
  }
}
