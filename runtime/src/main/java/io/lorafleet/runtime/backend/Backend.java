package io.lorafleet.runtime.backend;

import io.lorafleet.runtime.format.LlamaConfig;
import io.lorafleet.runtime.model.LoraAdapter;

/**
 * Runs the Llama forward pass for the engine. One instance owns one device: the base weights, the KV
 * cache memory (indexed by block id, allocated by the engine's block pool) and a table of adapter slots.
 * Calls come from one engine thread; implementations need not be thread-safe.
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
   * Makes {@code adapter}'s weights usable in forward and returns its slot number (≥ 0). The adapter must
   * have been validated against {@link #config()}.
   */
  int loadAdapter(LoraAdapter adapter);

  /** Frees a slot; no sequence in a later batch refers to it. */
  void unloadAdapter(int slot);

  /** Number of adapters the device can hold at once (Integer.MAX_VALUE when unbounded). */
  int maxAdapterSlots();

  /**
   * One model step: writes the K/V of every row into the cache at its position, attends over each
   * sequence's cache up to and including the row, and returns the logits of {@link
   * ForwardBatch#logitRows()}. Results for a row never depend on the other rows in the batch.
   */
  Logits forward(ForwardBatch batch);

  @Override
  void close();
}
