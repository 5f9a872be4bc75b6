package io.lorafleet.cuda;

import io.lorafleet.cuda.AdapterLayout.ModulePlacement;
import io.lorafleet.cuda.AdapterLayout.Placement;
import io.lorafleet.runtime.model.LoraModule;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Writes an adapter's pages, as laid out by {@link AdapterLayout}, into host memory ready to be copied
 * page by page to the device: descriptors hold the device addresses the pieces will have once page
 * {@code i} of the adapter is device page {@code devicePages[i]}. Pure Java.
 */
final class AdapterImage {
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private AdapterImage() {}

  /** Device address of a piece. */
  public static long address(Placement p, DevicePool pool, int[] devicePages) {
    return pool.address(devicePages[p.page()]) + p.offset();
  }

  /**
   * Fills {@code image} ({@code layout.pages() * pageBytes} bytes; adapter page i at i * pageBytes).
   * {@code pageBase} gives the device address of device page number p.
   */
  public static void write(AdapterLayout layout, int numLayers, MemorySegment image, int[] devicePages,
      java.util.function.IntToLongFunction pageBase) {
    long pb = layout.pageBytes();
    if (image.byteSize() < layout.pages() * pb) {
      throw new IllegalArgumentException("image of " + image.byteSize() + " bytes for " + layout.pages() + " pages");
    }
    if (devicePages.length != layout.pages()) {
      throw new IllegalArgumentException(devicePages.length + " device pages for " + layout.pages());
    }
    image.asSlice(0, layout.pages() * pb).fill((byte) 0);
    long rootAt = at(layout.root(), pb);
    for (ModulePlacement mp : layout.modules()) {
      LoraModule m = mp.module();
      long descAddr = pageBase.applyAsLong(devicePages[mp.descriptor().page()]) + mp.descriptor().offset();
      image.set(LONG, rootAt + (long) (m.layer() * AdapterLayout.NUM_TARGETS + m.target().ordinal()) * Long.BYTES,
          descAddr);
      long d = at(mp.descriptor(), pb);
      image.set(INT, d, m.rank());
      image.set(FLOAT, d + 4, m.scaling());
      image.set(INT, d + 8, layout.dtype().code());
      image.set(INT, d + 12, m.in());
      image.set(INT, d + 16, m.out());
      long ptrs = d + AdapterLayout.DESCRIPTOR_HEADER;
      for (int k = 0; k < m.rank(); k++) {
        Placement a = mp.aRows().get(k);
        Placement bt = mp.btRows().get(k);
        image.set(LONG, ptrs + (long) k * Long.BYTES, pageBase.applyAsLong(devicePages[a.page()]) + a.offset());
        image.set(LONG, ptrs + (long) (m.rank() + k) * Long.BYTES,
            pageBase.applyAsLong(devicePages[bt.page()]) + bt.offset());
        writeRow(image, at(a, pb), m.a(), k * m.in(), 1, m.in(), layout.dtype());
        writeRow(image, at(bt, pb), m.b(), k, m.rank(), m.out(), layout.dtype());
      }
    }
  }

  private static long at(Placement p, long pageBytes) {
    return p.page() * pageBytes + p.offset();
  }

  /** Writes {@code n} values {@code src[start + i * stride]}. */
  private static void writeRow(MemorySegment image, long at, float[] src, int start, int stride, int n, LoraDtype dtype) {
    if (dtype == LoraDtype.F32) {
      for (int i = 0; i < n; i++) {
        image.set(FLOAT, at + 4L * i, src[start + i * stride]);
      }
    } else {
      for (int i = 0; i < n; i++) {
        image.set(SHORT, at + 2L * i, (short) (Float.floatToRawIntBits(src[start + i * stride]) >>> 16));
      }
    }
  }
}
