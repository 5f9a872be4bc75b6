package io.lorafleet.runtime.backend;

import io.lorafleet.runtime.model.Quantization;
import java.util.Objects;

/**
 * What every backend is constructed with.
 *
 * @param threads     CPU worker threads (0: all cores)
 * @param deviceIndex GPU ordinal for device backends
 * @param quantize    how the base model's projections are stored ({@code --quantize},
 *                    {@code lorafleet.engine.quantize})
 * @param nativeGemm  whether the CPU backend may send large bf16 products to oneDNN ({@link NativeGemm});
 *                    int8-quantized projections always use the int8 panels, never oneDNN
 */
public record BackendConfig(int threads, int deviceIndex, Quantization quantize, NativeGemm nativeGemm) {
  public static final BackendConfig DEFAULTS = new BackendConfig(0, 0);

  public BackendConfig {
    Objects.requireNonNull(quantize, "quantize");
    if (nativeGemm == null) {
      throw new IllegalArgumentException("nativeGemm is null");
    }
  }

  /**
   * Unquantized weights; native GEMM from the {@link NativeGemm#PROPERTY} system property (default
   * {@code off}).
   */
  public BackendConfig(int threads, int deviceIndex) {
    this(threads, deviceIndex, Quantization.NONE, NativeGemm.fromSystemProperty());
  }

  /** Unquantized weights with the given native GEMM setting. */
  public BackendConfig(int threads, int deviceIndex, NativeGemm nativeGemm) {
    this(threads, deviceIndex, Quantization.NONE, nativeGemm);
  }

  /** The given quantization; native GEMM from the {@link NativeGemm#PROPERTY} system property. */
  public BackendConfig(int threads, int deviceIndex, Quantization quantize) {
    this(threads, deviceIndex, quantize, NativeGemm.fromSystemProperty());
  }

  public BackendConfig withQuantize(Quantization q) {
    return new BackendConfig(threads, deviceIndex, q, nativeGemm);
  }

  public BackendConfig withNativeGemm(NativeGemm n) {
    return new BackendConfig(threads, deviceIndex, quantize, n);
  }

  public int resolvedThreads() {
    return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
  }
}
