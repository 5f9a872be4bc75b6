package io.lorafleet.runtime.engine;

import io.lorafleet.runtime.backend.Backend;
import io.lorafleet.runtime.backend.ForwardBatch;
import io.lorafleet.runtime.backend.Logits;
import io.lorafleet.runtime.backend.cpu.CpuBackend;
import io.lorafleet.runtime.format.LlamaConfig;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;

/**
 * A test backend that is the real CPU backend except where a test changes it: every call goes to {@link
 * #cpu}; a subclass overrides only what it alters (a device that runs out of room, a step that is held).
 */
abstract class DelegatingCpuBackend implements Backend {
  final CpuBackend cpu;

  DelegatingCpuBackend(LlamaModel m) {
    this.cpu = new CpuBackend(m, 1);
  }

  @Override
  public LlamaConfig config() {
    return cpu.config();
  }

  @Override
  public long kvBytesPerBlock(int blockSize) {
    return cpu.kvBytesPerBlock(blockSize);
  }

  @Override
  public void allocateKvCache(int numBlocks, int blockSize) {
    cpu.allocateKvCache(numBlocks, blockSize);
  }

  @Override
  public int uploadAdapter(LoraAdapter adapter) {
    return cpu.uploadAdapter(adapter);
  }

  @Override
  public void freeAdapter(int index) {
    cpu.freeAdapter(index);
  }

  @Override
  public int adapterCapacity() {
    return cpu.adapterCapacity();
  }

  @Override
  public Logits forward(ForwardBatch batch) {
    return cpu.forward(batch);
  }

  @Override
  public void close() {
    cpu.close();
  }
}
