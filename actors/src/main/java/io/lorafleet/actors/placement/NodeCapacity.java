package io.lorafleet.actors.placement;

/**
 * What a node can hold and serve, as it announces it when it joins.
 *
 * @param deviceMemoryBytes memory of its accelerator (or the KV cache budget on a CPU node)
 * @param adapterSlots      adapters it keeps loaded on the device at once
 * @param maxBatch          sequences it runs in one batch
 */
public record NodeCapacity(long deviceMemoryBytes, int adapterSlots, int maxBatch) {
  public NodeCapacity {
    if (deviceMemoryBytes < 0 || adapterSlots < 1 || maxBatch < 1) {
      throw new IllegalArgumentException("invalid node capacity " + deviceMemoryBytes + " bytes, " + adapterSlots
          + " slots, batch " + maxBatch);
    }
  }

  /** Relative serving weight of the node: its batch size (the throughput it adds to the fleet). */
  public double weight() {
    return maxBatch;
  }
}
