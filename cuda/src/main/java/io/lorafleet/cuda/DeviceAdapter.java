package io.lorafleet.cuda;

import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.model.LoraModule;

/**
 * An adapter resident in device pages: where its root table is, which pages it holds, and the event its
 * upload completes with (until the compute stream has waited for it once).
 */
final class DeviceAdapter {
  private final LoraAdapter adapter;
  private final int[] pages;
  private final long root;
  private final AdapterLayout layout;
  private final int maxRank;
  private final int[] layerTargets;
  private GpuEvent uploaded;

  public DeviceAdapter(LoraAdapter adapter, int[] pages, long root, AdapterLayout layout, GpuEvent uploaded) {
    this.adapter = adapter;
    this.pages = pages.clone();
    this.root = root;
    this.layout = layout;
    this.uploaded = uploaded;
    this.maxRank = adapter.maxRank();
    this.layerTargets = new int[adapter.numLayers()];
    for (int l = 0; l < adapter.numLayers(); l++) {
      for (LoraModule m : adapter.layer(l).values()) {
        layerTargets[l] |= 1 << m.target().ordinal();
      }
    }
  }

  public LoraAdapter adapter() {
    return adapter;
  }

  public int[] pages() {
    return pages.clone();
  }

  public int numPages() {
    return pages.length;
  }

  /** Device address of the root table (lora.cu). */
  public long root() {
    return root;
  }

  public AdapterLayout layout() {
    return layout;
  }

  public int maxRank() {
    return maxRank;
  }

  /** Bit t set when the adapter changes target t (LoraTarget ordinal) of {@code layer}. */
  public int targets(int layer) {
    return layerTargets[layer];
  }

  /** The upload's completion event, handed out once (null afterwards or when already complete). */
  GpuEvent takeUploadEvent() {
    GpuEvent e = uploaded;
    uploaded = null;
    return e;
  }

  @Override
  public String toString() {
    return "DeviceAdapter[" + adapter.id() + ", " + pages.length + " pages, " + layout.dtype() + "]";
  }
}
