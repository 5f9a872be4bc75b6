package io.lorafleet.runtime.backend;

import io.lorafleet.runtime.format.LlamaConfig;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.model.Quantization;

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

  /** How the base model's projection matrices are stored on this device ({@link BackendConfig#quantize()}). */
  default Quantization quantization() {
    return Quantization.NONE;
  }

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

  /**
   * Whether this backend picks tokens itself in {@link #forwardSampled} (then only a token and its
   * log-probability per row come back, and full rows only where the engine asks for them). The CPU
   * backend returns logits and the engine's Sampler picks on the host.
   */
  default boolean samplesOnDevice() {
    return false;
  }

  /**
   * One model step like {@link #forward}, then the token of each logits row picked on the device as
   * {@code sampling[i]} says for {@code batch.logitRows()[i]}, with the host Sampler's semantics; rows marked
   * {@link RowSampling#onHost} come back whole instead. Only when {@link #samplesOnDevice}.
   */
  default SampledLogits forwardSampled(ForwardBatch batch, RowSampling[] sampling) {
    throw new UnsupportedOperationException(name() + " samples on the host: call forward");
  }

  /**
   * The engine's step limits, before {@link #allocateKvCache}: at most {@code maxBatchTokens} rows and
   * {@code maxNumSeqs} sequences per step. A device backend reserves all the memory a step can need now,
   * so that no step fails for memory later.
   */
  default void reserveStepMemory(int maxBatchTokens, int maxNumSeqs) {}

  @Override
  void close();
}
