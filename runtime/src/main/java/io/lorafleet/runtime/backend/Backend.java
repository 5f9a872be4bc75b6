package io.lorafleet.runtime.backend;

import io.lorafleet.runtime.format.LlamaConfig;
import io.lorafleet.runtime.model.LoraAdapter;

/**
 * Runs the Llama forward pass for the engine. One instance owns one device: the base weights, the KV
 * cache memory (indexed by block id, allocated by the engine's block pool) and the memory of the adapters
 * uploaded to it. Which adapters are uploaded, and when one is freed, is decided above it (the engine's
 * adapter residency): a backend only copies an adapter in and frees it. Calls come from one engine thread;
 * implementations need not be thread-safe.
 */
public interface Backend extends AutoCloseable {
  /** e.g. "cpu" or "cuda:0". */
  String name();

  LlamaConfig config();

  /** Bytes one KV block of {@code blockSize} tokens takes on this device (all layers, K and V). */
  long kvBytesPerBlock(int blockSize);

  /** Reserves KV memory for {@code numBlocks} blocks of {@code blockSize} tokens. Called once, before forward. */
  void allocateKvCache(int numBlocks, int blockSize);

  /**
   * Copies {@code adapter}'s weights into device memory (a device may finish the copy asynchronously, before
   * the first {@link #forward} that uses it) and returns the index ({@code >= 0}) forward batches name it by.
   * The adapter must have been validated against {@link #config()}.
   *
   * @throws DeviceFullException when the device has no room for it now
   */
  int uploadAdapter(LoraAdapter adapter);

  /** Frees the memory of the adapter uploaded at {@code index}; no later batch refers to it. */
  void freeAdapter(int index);

  /**
   * How many adapters the device can hold at once, counting each at a typical size (Integer.MAX_VALUE when
   * unbounded). The engine sizes its residency and its adapters per step by it.
   */
  int adapterCapacity();

  /**
   * One model step: writes the K/V of every row into the cache at its position, attends over each
   * sequence's cache up to and including the row, and returns the logits of {@link
   * ForwardBatch#logitRows()}. Results for a row never depend on the other rows in the batch.
   */
  Logits forward(ForwardBatch batch);

  @Override
  void close();
}
