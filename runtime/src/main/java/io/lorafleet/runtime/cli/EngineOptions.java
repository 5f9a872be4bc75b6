package io.lorafleet.runtime.cli;

import io.lorafleet.runtime.backend.BackendConfig;
import io.lorafleet.runtime.backend.NativeGemm;
import io.lorafleet.runtime.engine.EngineConfig;
import io.lorafleet.runtime.errors.InvalidRequestException;
import io.lorafleet.runtime.model.Quantization;
import picocli.CommandLine.Option;

/** Engine and backend options shared by the commands that run a model. */
public final class EngineOptions {
  @Option(names = "--backend", defaultValue = "auto", description = "auto, cpu or cuda (default: ${DEFAULT-VALUE})")
  public String backend;

  @Option(names = "--threads", defaultValue = "0", description = "CPU threads (0: all cores)")
  public int threads;

  @Option(names = "--max-num-seqs", defaultValue = "64", description = "sequences in the running batch (default: ${DEFAULT-VALUE})")
  public int maxNumSeqs;

  @Option(names = "--max-batch-tokens", defaultValue = "512", description = "tokens per engine step; longer prompts are chunked (default: ${DEFAULT-VALUE})")
  public int maxBatchTokens;

  @Option(names = "--max-loras", defaultValue = "0", description = "distinct adapters per step (0: no limit)")
  public int maxLoras;

  @Option(names = "--kv-cache-mb", defaultValue = "512", description = "KV cache budget in MiB (default: ${DEFAULT-VALUE})")
  public long kvCacheMb;

  @Option(names = "--block-size", defaultValue = "16", description = "tokens per KV block (default: ${DEFAULT-VALUE})")
  public int blockSize;

  @Option(names = "--max-model-len", defaultValue = "0", description = "longest prompt + output (0: the model's)")
  public int maxModelLen;

  @Option(names = "--max-waiting", defaultValue = "1024", description = "queued requests per priority class before new ones of that class are refused (default: ${DEFAULT-VALUE})")
  public int maxWaiting;

  @Option(names = "--max-resident-adapters", defaultValue = "0",
      description = "adapters kept loaded on the device (0: as many as the backend holds)")
  public int maxResidentAdapters;

  @Option(names = "--prefix-caching", negatable = true,
      description = "reuse the KV blocks of prompt prefixes computed before for the same adapter (default: on; "
          + "`serve` takes lorafleet.engine.prefix-caching when neither flag is given)")
  public Boolean prefixCaching;

  @Option(names = "--native-gemm", description = "auto, on or off: send the CPU backend's large products (prefill, "
      + "batched decode) to oneDNN's bf16 matmul (libdnnl2) where it is installed (default: off; `serve` takes "
      + "lorafleet.engine.cpu.native-gemm when the flag is not given)")
  public String nativeGemm;

  @Option(names = "--quantize", paramLabel = "none|int8",
      description = "store the base model's projections as int8 with one scale per output channel, quantized at "
          + "load time from the bf16/f16/f32 checkpoint (W8A16; embeddings, norms and adapters keep their type); "
          + "default none (`serve` takes lorafleet.engine.quantize when the flag is not given)")
  public String quantize;

  /** The {@code --quantize} flag, parsed; empty when it was not given. */
  public java.util.Optional<Quantization> quantization() {
    if (quantize == null) {
      return java.util.Optional.empty();
    }
    try {
      return java.util.Optional.of(Quantization.parse(quantize));
    } catch (InvalidRequestException e) {
      throw new CliInputException("--quantize " + quantize + ": expected none or int8");
    }
  }

  public EngineConfig engineConfig() {
    return EngineConfig.DEFAULTS.toBuilder().blockSize(blockSize).kvCacheBytes(kvCacheMb << 20)
        .maxNumSeqs(maxNumSeqs).maxBatchTokens(maxBatchTokens).maxLorasPerBatch(maxLoras).maxWaiting(maxWaiting)
        .maxModelLen(maxModelLen).maxResidentAdapters(maxResidentAdapters)
        .prefixCaching(prefixCaching == null || prefixCaching).build();
  }

  public BackendConfig backendConfig() {
    Quantization q = quantization().orElse(Quantization.NONE);
    if (nativeGemm == null) {
      return new BackendConfig(threads, 0, q);
    }
    NativeGemm gemm;
    try {
      gemm = NativeGemm.parse(nativeGemm);
    } catch (IllegalArgumentException e) {
      throw new CliInputException("--native-gemm: " + e.getMessage());
    }
    return new BackendConfig(threads, 0, q, gemm);
  }
}
