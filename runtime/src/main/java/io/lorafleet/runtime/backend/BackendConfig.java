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
 */
public record BackendConfig(int threads, int deviceIndex, Quantization quantize) {
  public static final BackendConfig DEFAULTS = new BackendConfig(0, 0);

  public BackendConfig {
    Objects.requireNonNull(quantize, "quantize");
  }

  /** Unquantized weights. */
  public BackendConfig(int threads, int deviceIndex) {
    this(threads, deviceIndex, Quantization.NONE);
  }

  public BackendConfig withQuantize(Quantization q) {
    return new BackendConfig(threads, deviceIndex, q);
  }

  public int resolvedThreads() {
    return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
  }
}
