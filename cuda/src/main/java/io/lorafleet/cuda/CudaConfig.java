package io.lorafleet.cuda;

/**
 * What the CUDA backend is constructed with (read from system properties by {@link #fromSystemProperties}).
 *
 * @param gemm             which matrix products to use
 * @param adapterPoolBytes device bytes for adapter pages on top of the KV cache (0: what the device has
 *                         free after the step memory, the KV cache and {@code reserveBytes})
 * @param reserveBytes     device bytes left out of the pool for what is allocated after it (the CUDA context's
 *                         own needs, instantiated graphs); the step memory is reserved before the pool
 * @param maxAdapters      most adapters on the device at once
 * @param graphs           capture decode steps into CUDA graphs (one per batch-size bucket) and replay them
 * @param deviceSampling   pick tokens on the device ({@code Backend.forwardSampled}); off: the engine samples
 *                         every row on the host from full logits
 */
record CudaConfig(GemmChoice gemm, long adapterPoolBytes, long reserveBytes, int maxAdapters, boolean graphs,
    boolean deviceSampling) {
  /** Matrix products: cuBLAS if it loads (auto: the backend is unavailable without it), cuBLAS, or our own kernel. */
  public enum GemmChoice {
    AUTO,
    CUBLAS,
    KERNEL
  }

  public static final CudaConfig DEFAULTS = new CudaConfig(GemmChoice.AUTO, 0, 256L << 20, 4096, true, true);

  public CudaConfig {
    if (adapterPoolBytes < 0 || reserveBytes < 0 || maxAdapters < 1) {
      throw new IllegalArgumentException("invalid CUDA options " + this);
    }
  }

  /**
   * The defaults overridden by system properties: {@code lorafleet.cuda.gemm} (auto|cublas|kernel),
   * {@code lorafleet.cuda.adapterPoolMiB}, {@code lorafleet.cuda.reserveMiB},
   * {@code lorafleet.cuda.maxAdapters}, {@code lorafleet.cuda.graphs} (true|false),
   * {@code lorafleet.cuda.deviceSampling} (true|false).
   */
  public static CudaConfig fromSystemProperties() {
    CudaConfig d = DEFAULTS;
    return new CudaConfig(
        GemmChoice.valueOf(System.getProperty("lorafleet.cuda.gemm", d.gemm().name()).toUpperCase(java.util.Locale.ROOT)),
        Long.getLong("lorafleet.cuda.adapterPoolMiB", d.adapterPoolBytes() >> 20) << 20,
        Long.getLong("lorafleet.cuda.reserveMiB", d.reserveBytes() >> 20) << 20,
        Integer.getInteger("lorafleet.cuda.maxAdapters", d.maxAdapters()),
        Boolean.parseBoolean(System.getProperty("lorafleet.cuda.graphs", String.valueOf(d.graphs()))),
        Boolean.parseBoolean(System.getProperty("lorafleet.cuda.deviceSampling", String.valueOf(d.deviceSampling()))));
  }

  public CudaConfig withGemm(GemmChoice g) {
    return new CudaConfig(g, adapterPoolBytes, reserveBytes, maxAdapters, graphs, deviceSampling);
  }

  public CudaConfig withAdapterPoolBytes(long b) {
    return new CudaConfig(gemm, b, reserveBytes, maxAdapters, graphs, deviceSampling);
  }

  public CudaConfig withReserveBytes(long b) {
    return new CudaConfig(gemm, adapterPoolBytes, b, maxAdapters, graphs, deviceSampling);
  }

  public CudaConfig withGraphs(boolean g) {
    return new CudaConfig(gemm, adapterPoolBytes, reserveBytes, maxAdapters, g, deviceSampling);
  }

  public CudaConfig withDeviceSampling(boolean d) {
    return new CudaConfig(gemm, adapterPoolBytes, reserveBytes, maxAdapters, graphs, d);
  }
}
