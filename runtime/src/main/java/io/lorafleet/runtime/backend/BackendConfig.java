package io.lorafleet.runtime.backend;

/**
 * What every backend is constructed with.
 *
 * @param threads     CPU worker threads (0: all cores)
 * @param deviceIndex GPU ordinal for device backends
 * @param nativeGemm  whether the CPU backend may send large products to oneDNN ({@link NativeGemm})
 */
public record BackendConfig(int threads, int deviceIndex, NativeGemm nativeGemm) {
  public static final BackendConfig DEFAULTS = new BackendConfig(0, 0);

  public BackendConfig {
    if (nativeGemm == null) {
      throw new IllegalArgumentException("nativeGemm is null");
    }
  }

  /** Native GEMM from the {@link NativeGemm#PROPERTY} system property (default {@code off}). */
  public BackendConfig(int threads, int deviceIndex) {
    this(threads, deviceIndex, NativeGemm.fromSystemProperty());
  }

  public int resolvedThreads() {
    return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
  }
}
