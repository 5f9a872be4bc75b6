package io.lorafleet.tools.simulation;

/**
 * What one simulated GPU node can do. The batch server does continuous batching: every step generates one
 * token for each running sequence and takes {@code stepBase + stepPerSequence * batch + stepPerAdapter *
 * distinct adapters in the batch} (the base projections, the per-row work, and one SGMV segment per
 * adapter); a prompt costs {@code ceil(prompt / prefillChunkTokens)} extra steps. An adapter that is not in
 * one of the node's device slots is transferred before its requests can run: from host memory at
 * {@code hostToDeviceBytesPerSecond}, and first from disk at {@code diskBytesPerSecond} when it is not in the
 * host cache either. Transfers of one node run one after the other.
 *
 * @param adapterSlots               adapters resident on the device at once (the device tier of the cache)
 * @param maxBatch                   sequences in the running batch (the node's concurrency limit)
 * @param maxWaiting                 requests waiting on the node (queue and adapter loads) before new ones
 *                                   are refused
 * @param stepBaseMillis             time of a decode step with an empty batch
 * @param stepPerSequenceMillis      extra step time per running sequence
 * @param stepPerAdapterMillis       extra step time per distinct adapter in the batch
 * @param prefillChunkTokens         prompt tokens processed in one step (chunked prefill)
 * @param hostToDeviceBytesPerSecond host memory to device bandwidth (PCIe)
 * @param diskBytesPerSecond         disk to host memory bandwidth
 * @param hostCacheBytes             adapter bytes kept in host memory (the CPU tier of the cache)
 * @param frequencyWeightSeconds     the cache's LRU-with-frequency weight: recency worth one doubling of
 *                                   the hit count
 * @param requestTimeoutSeconds      a request still waiting after this is dropped as timed out
 * @param deviceMemoryBytes          device memory the node announces
 */
public record GpuNodeModel(int adapterSlots, int maxBatch, int maxWaiting, double stepBaseMillis,
    double stepPerSequenceMillis, double stepPerAdapterMillis, int prefillChunkTokens,
    double hostToDeviceBytesPerSecond, double diskBytesPerSecond, long hostCacheBytes, double frequencyWeightSeconds,
    double requestTimeoutSeconds, long deviceMemoryBytes) {

  public GpuNodeModel {
    if (adapterSlots < 1 || maxBatch < 1 || maxWaiting < 1 || !(stepBaseMillis > 0) || stepPerSequenceMillis < 0
        || stepPerAdapterMillis < 0 || prefillChunkTokens < 1 || !(hostToDeviceBytesPerSecond > 0)
        || !(diskBytesPerSecond > 0) || hostCacheBytes < 1 || frequencyWeightSeconds < 0
        || !(requestTimeoutSeconds > 0) || deviceMemoryBytes < 0) {
      throw new IllegalArgumentException("invalid GPU node model: " + adapterSlots + " slots, batch " + maxBatch);
    }
  }

  /**
   * An H100-80GB-class node serving a Llama-3-8B-shaped model: batch 64, 96 device slots (about 4 GiB of
   * adapters at the default size mix), decode steps of 8 ms + 0.12 ms per sequence + 0.25 ms per adapter
   * (about 20 ms and 3,300 tokens/s at a full batch), 512-token prefill chunks, 24 GB/s PCIe, 3 GB/s NVMe,
   * 16 GiB host cache, 256 waiting requests, 60 s timeout.
   */
  public static GpuNodeModel defaults() {
    return new GpuNodeModel(96, 64, 256, 8.0, 0.12, 0.25, 512, 24e9, 3e9, 16L << 30, 10, 60, 80L << 30);
  }

  /** Seconds of one decode step with {@code batch} sequences of {@code adapters} distinct adapters. */
  public double stepSeconds(int batch, int adapters) {
    return (stepBaseMillis + stepPerSequenceMillis * batch + stepPerAdapterMillis * adapters) / 1000.0;
  }

  public GpuNodeModel withSlots(int slots) {
    return new GpuNodeModel(slots, maxBatch, maxWaiting, stepBaseMillis, stepPerSequenceMillis, stepPerAdapterMillis,
        prefillChunkTokens, hostToDeviceBytesPerSecond, diskBytesPerSecond, hostCacheBytes, frequencyWeightSeconds,
        requestTimeoutSeconds, deviceMemoryBytes);
  }

  public GpuNodeModel withMaxBatch(int batch) {
    return new GpuNodeModel(adapterSlots, batch, Math.max(maxWaiting, batch), stepBaseMillis, stepPerSequenceMillis,
        stepPerAdapterMillis, prefillChunkTokens, hostToDeviceBytesPerSecond, diskBytesPerSecond, hostCacheBytes,
        frequencyWeightSeconds, requestTimeoutSeconds, deviceMemoryBytes);
  }
}
