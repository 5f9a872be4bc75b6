package io.lorafleet.cuda;

import io.lorafleet.runtime.errors.AdapterIncompatibleException;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.model.LoraModule;
import io.lorafleet.runtime.model.LoraTarget;
import java.util.ArrayList;
import java.util.List;

/**
 * Where each piece of an adapter goes in its pages (pure Java; {@link AdapterImage} writes the bytes):
 * the root table (one descriptor address per layer and target) first, then per module its descriptor,
 * its rank rows of A and its rank rows of B^T. Pieces are packed in order and never split across pages,
 * so a module of rank r takes what its 2r rows need, not a piece sized for the largest rank. A rank row
 * is at most an intermediate-size vector, far below a page (one KV block of all layers).
 *
 * @param pageBytes page size
 * @param pages     pages the adapter occupies
 * @param dtype     how the weights are stored
 * @param root      the root table ({@code numLayers * 7} addresses, 0 where a module is absent)
 * @param modules   the modules in layer, target order
 * @param usedBytes bytes of pieces (without padding)
 */
record AdapterLayout(long pageBytes, int pages, LoraDtype dtype, Placement root, List<ModulePlacement> modules,
    long usedBytes) {

  /** Bytes of the descriptor header in lora.cu (LoraModuleDesc). */
  public static final int DESCRIPTOR_HEADER = 32;
  /** Alignment of weight rows (a cache line: coalesced loads). */
  public static final int ROW_ALIGN = 128;
  public static final int NUM_TARGETS = LoraTarget.values().length;

  public AdapterLayout {
    modules = List.copyOf(modules);
  }

  /** A piece at {@code offset} bytes into the adapter's page number {@code page} (0-based within the adapter). */
  public record Placement(int page, long offset, long bytes) {}

  /** A module's descriptor and rows. */
  public record ModulePlacement(LoraModule module, Placement descriptor, List<Placement> aRows, List<Placement> btRows) {
    public ModulePlacement {
      aRows = List.copyOf(aRows);
      btRows = List.copyOf(btRows);
    }
  }

  public static AdapterLayout of(LoraAdapter adapter, int numLayers, long pageBytes, LoraDtype dtype) {
    Packer p = new Packer(pageBytes, adapter.id());
    Placement root = p.place((long) numLayers * NUM_TARGETS * Long.BYTES, 256);
    List<ModulePlacement> modules = new ArrayList<>();
    for (int l = 0; l < numLayers; l++) {
      for (LoraTarget t : LoraTarget.values()) {
        LoraModule m = adapter.layer(l).get(t);
        if (m == null) {
          continue;
        }
        if (m.rank() > Kernels.LORA_MAX_RANK) {
          throw new AdapterIncompatibleException("adapter " + adapter.id() + ": rank " + m.rank() + " of "
              + t.moduleName(l) + " is above the CUDA backend's maximum " + Kernels.LORA_MAX_RANK);
        }
        Placement desc = p.place(DESCRIPTOR_HEADER + 2L * m.rank() * Long.BYTES, 16);
        List<Placement> a = new ArrayList<>(m.rank());
        for (int k = 0; k < m.rank(); k++) {
          a.add(p.place((long) m.in() * dtype.bytes(), ROW_ALIGN));
        }
        List<Placement> bt = new ArrayList<>(m.rank());
        for (int k = 0; k < m.rank(); k++) {
          bt.add(p.place((long) m.out() * dtype.bytes(), ROW_ALIGN));
        }
        modules.add(new ModulePlacement(m, desc, a, bt));
      }
    }
    return new AdapterLayout(pageBytes, p.page + 1, dtype, root, modules, p.used);
  }

  /** Pages an adapter takes, without building the whole layout twice in callers that only size. */
  public static int pagesFor(LoraAdapter adapter, int numLayers, long pageBytes) {
    return of(adapter, numLayers, pageBytes, LoraDtype.of(adapter)).pages();
  }

  /** Bump allocation within pages: a piece that does not fit in what is left of a page starts the next one. */
  private static final class Packer {
    private final long pageBytes;
    private final String id;
    int page;
    long offset;
    long used;

    Packer(long pageBytes, String id) {
      this.pageBytes = pageBytes;
      this.id = id;
    }

    Placement place(long bytes, int align) {
      if (bytes > pageBytes) {
        throw new AdapterIncompatibleException("adapter " + id + ": a piece of " + bytes
            + " bytes does not fit in a device page of " + pageBytes + " bytes");
      }
      long at = (offset + align - 1) / align * align;
      if (at + bytes > pageBytes) {
        page++;
        at = 0;
      }
      offset = at + bytes;
      used += bytes;
      return new Placement(page, at, bytes);
    }
  }
}
