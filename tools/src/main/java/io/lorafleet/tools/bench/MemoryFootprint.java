package io.lorafleet.tools.bench;

import io.lorafleet.runtime.backend.cpu.CpuBackend;
import io.lorafleet.runtime.engine.LoadedModel;
import io.lorafleet.runtime.model.LoraAdapter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * What the engine holds in memory against what it must: the model's bytes on disk plus the KV cache. The
 * CPU backend keeps one repacked copy of the projection matrices in native memory (the mapped file's pages
 * are released) and everything else on the heap; adapters are counted apart, since they are not the model.
 *
 * @param modelFileBytes  the checkpoint's safetensors files
 * @param kvCacheBytes    the KV cache the engine allocated
 * @param nativeBytes     native memory the backend allocated for weights (0 for backends that do not say)
 * @param heapUsedBytes   heap in use after a full collection
 * @param adapterBytes    the loaded adapters' weights as the engine holds them
 */
public record MemoryFootprint(long modelFileBytes, long kvCacheBytes, long nativeBytes, long heapUsedBytes,
    long adapterBytes) {

  /** {@code (heap + native - adapters) / (model file + KV cache)}: about 1 without a float copy of the model. */
  public double overFilePlusKv() {
    return (double) (heapUsedBytes + nativeBytes - adapterBytes) / (modelFileBytes + kvCacheBytes);
  }

  static MemoryFootprint measure(LoadedModel le, Path modelDir, List<LoraAdapter> adapters) {
    long file;
    try (Stream<Path> files = Files.list(modelDir)) {
      file = files.filter(p -> p.getFileName().toString().endsWith(".safetensors")).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          throw new IllegalStateException("cannot size " + p, e);
        }
      }).sum();
    } catch (IOException e) {
      throw new IllegalStateException("cannot list " + modelDir, e);
    }
    var backend = le.engine().backend();
    long kv = (long) le.engine().stats().kvBlocksTotal() * backend.kvBytesPerBlock(le.engine().config().blockSize());
    long nativeBytes = backend instanceof CpuBackend cpu ? cpu.packedWeightBytes() : 0;
    long adapterBytes = adapters.stream().mapToLong(LoraAdapter::bytes).sum()
        + (backend instanceof CpuBackend cpu ? cpu.adapterCopyBytes() : 0);
    Runtime rt = Runtime.getRuntime();
    System.gc();
    long heap = rt.totalMemory() - rt.freeMemory();
    return new MemoryFootprint(file, kv, nativeBytes, heap, adapterBytes);
  }
}
