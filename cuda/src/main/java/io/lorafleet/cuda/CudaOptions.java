package io.lorafleet.cuda;

/**
 * Settings of the CUDA backend.
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
record CudaOptions(GemmChoice gemm, long adapterPoolBytes, long reserveBytes, int maxAdapters, boolean graphs,
    boolean deviceSampling) {
  /** Matrix products: cuBLAS if it loads (auto: the backend is unavailable without it), cuBLAS, or our own kernel. */
  public enum GemmChoice {
    AUTO,
    CUBLAS,
    KERNEL
  }

  public static final CudaOptions DEFAULTS = new CudaOptions(GemmChoice.AUTO, 0, 256L << 20, 4096, true, true);

  public CudaOptions {
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
  public static CudaOptions fromSystemProperties() {
    CudaOptions d = DEFAULTS;
    return new CudaOptions(
        GemmChoice.valueOf(System.getProperty("lorafleet.cuda.gemm", d.gemm().name()).toUpperCase(java.util.Locale.ROOT)),
        Long.getLong("lorafleet.cuda.adapterPoolMiB", d.adapterPoolBytes() >> 20) << 20,
        Long.getLong("lorafleet.cuda.reserveMiB", d.reserveBytes() >> 20) << 20,
        Integer.getInteger("lorafleet.cuda.maxAdapters", d.maxAdapters()),
        Boolean.parseBoolean(System.getProperty("lorafleet.cuda.graphs", String.valueOf(d.graphs()))),
        Boolean.parseBoolean(System.getProperty("lorafleet.cuda.deviceSampling", String.valueOf(d.deviceSampling()))));
  }

  public CudaOptions withGemm(GemmChoice g) {
    return new CudaOptions(g, adapterPoolBytes, reserveBytes, maxAdapters, graphs, deviceSampling);
  }

  public CudaOptions withAdapterPoolBytes(long b) {
    return new CudaOptions(gemm, b, reserveBytes, maxAdapters, graphs, deviceSampling);
  }

  public CudaOptions withReserveBytes(long b) {
    return new CudaOptions(gemm, adapterPoolBytes, b, maxAdapters, graphs, deviceSampling);
  }

  public CudaOptions withGraphs(boolean g) {
    return new CudaOptions(gemm, adapterPoolBytes, reserveBytes, maxAdapters, g, deviceSampling);
  }

  public CudaOptions withDeviceSampling(boolean d) {
    return new CudaOptions(gemm, adapterPoolBytes, reserveBytes, maxAdapters, graphs, d);
  }
}
