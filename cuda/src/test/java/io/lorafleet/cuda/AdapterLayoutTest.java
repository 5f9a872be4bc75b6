package io.lorafleet.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.cuda.AdapterLayout.ModulePlacement;
import io.lorafleet.cuda.AdapterLayout.Placement;
import io.lorafleet.runtime.errors.AdapterIncompatibleException;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.model.LoraModule;
import io.lorafleet.runtime.model.LoraTarget;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdapterLayoutTest {
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final long PAGE = 32768;

  private LlamaModel model;
  private Map<String, LoraAdapter> adapters;

  @BeforeAll
  void load() {
    model = CudaFixtures.model();
    adapters = CudaFixtures.adapters(model);
  }

  @AfterAll
  void close() {
    model.close();
  }

  @Test
  void dtypeKeepsEveryValue() {
    assertEquals(LoraDtype.BF16, LoraDtype.of(adapters.get("adapter-qv-r8")), "saved in BF16");
    assertEquals(LoraDtype.F32, LoraDtype.of(adapters.get("adapter-qkvo-r16")), "saved in F32");
  }

  @Test
  void piecesNeverOverlapNorCrossAPage() {
    for (LoraAdapter a : adapters.values()) {
      AdapterLayout layout = AdapterLayout.of(a, model.config().numLayers(), PAGE, LoraDtype.of(a));
      List<Placement> all = new ArrayList<>();
      all.add(layout.root());
      for (ModulePlacement m : layout.modules()) {
        all.add(m.descriptor());
        all.addAll(m.aRows());
        all.addAll(m.btRows());
        assertEquals(m.module().rank(), m.aRows().size());
      }
      all.sort(Comparator.comparingLong(p -> p.page() * PAGE + p.offset()));
      long end = 0;
      long sum = 0;
      for (Placement p : all) {
        long at = p.page() * PAGE + p.offset();
        assertTrue(at >= end, a.id() + ": overlapping pieces");
        assertTrue(p.offset() + p.bytes() <= PAGE, a.id() + ": piece crosses a page");
        end = at + p.bytes();
        sum += p.bytes();
      }
      assertEquals(sum, layout.usedBytes());
      assertTrue(layout.pages() * PAGE < layout.usedBytes() + layout.pages() * 8192L,
          a.id() + ": more than 8 KiB lost per page");
    }
  }

  @Test
  void pagesFollowTheRankNotAPaddedSlot() {
    int l = model.config().numLayers();
    int r4 = AdapterLayout.pagesFor(adapters.get("adapter-all-r4"), l, PAGE);
    int r16 = AdapterLayout.pagesFor(adapters.get("adapter-all-r16"), l, PAGE);
    assertTrue(r4 * 2 < r16, "rank 4 (bf16) takes " + r4 + " pages, rank 16 (f32) " + r16);
  }

  @Test
  void pieceLargerThanAPageIsRefused() {
    LoraAdapter a = adapters.get("adapter-all-r4");
    assertThrows(AdapterIncompatibleException.class, () -> AdapterLayout.of(a, model.config().numLayers(), 512,
        LoraDtype.F32));
  }

  /** Reads the image back as the kernels do (root table, descriptors, row addresses) and checks every value. */
  @Test
  void imageDescribesEveryModuleAtItsDeviceAddresses() {
    int layers = model.config().numLayers();
    for (LoraAdapter a : adapters.values()) {
      AdapterLayout layout = AdapterLayout.of(a, layers, PAGE, LoraDtype.of(a));
      int[] devicePages = new int[layout.pages()];
      for (int i = 0; i < devicePages.length; i++) {
        devicePages[i] = 100 + 3 * i; // scattered
      }
      long base = 1L << 40;
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment image = arena.allocate(layout.pages() * PAGE);
        AdapterImage.write(layout, layers, image, devicePages, p -> base + p * PAGE);
        // Device address -> offset in the image.
        java.util.function.LongUnaryOperator local = addr -> {
          long page = (addr - base) / PAGE;
          int idx = java.util.Arrays.stream(devicePages).boxed().toList().indexOf((int) page);
          assertTrue(idx >= 0, "address outside the adapter's pages");
          return idx * PAGE + (addr - base) % PAGE;
        };
        long root = layout.root().page() * PAGE + layout.root().offset();
        for (int l = 0; l < layers; l++) {
          for (LoraTarget t : LoraTarget.values()) {
            long desc = image.get(LONG, root + (long) (l * 7 + t.ordinal()) * 8);
            LoraModule m = a.layer(l).get(t);
            if (m == null) {
              assertEquals(0, desc, a.id() + " layer " + l + " " + t + " should be absent");
              continue;
            }
            long d = local.applyAsLong(desc);
            assertEquals(m.rank(), image.get(INT, d));
            assertEquals(m.scaling(), image.get(FLOAT, d + 4));
            assertEquals(layout.dtype().code(), image.get(INT, d + 8));
            assertEquals(m.in(), image.get(INT, d + 12));
            assertEquals(m.out(), image.get(INT, d + 16));
            for (int k = 0; k < m.rank(); k++) {
              long aRow = local.applyAsLong(image.get(LONG, d + 32 + 8L * k));
              long btRow = local.applyAsLong(image.get(LONG, d + 32 + 8L * (m.rank() + k)));
              for (int i = 0; i < m.in(); i += 7) {
                assertEquals(m.a()[k * m.in() + i], read(image, aRow, i, layout.dtype()));
              }
              for (int o = 0; o < m.out(); o += 5) {
                assertEquals(m.b()[o * m.rank() + k], read(image, btRow, o, layout.dtype()));
              }
            }
          }
        }
      }
    }
  }

  private static float read(MemorySegment image, long row, int i, LoraDtype dtype) {
    return dtype == LoraDtype.F32 ? image.get(FLOAT, row + 4L * i) : Bf16.toFloat(image.get(SHORT, row + 2L * i));
  }
}
