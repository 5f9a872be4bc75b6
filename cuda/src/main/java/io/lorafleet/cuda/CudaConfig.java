package io.lorafleet.cuda;

/**
 * What the CUDA backend is constructed with (read from system properties by {@link #fromSystemProperties}).
 *
 * @param gemm             which matrix products to use
 * @param adapterPoolBytes device bytes for adapter pages on top of the KV cache (0: what the device has
 *                         free after the KV cache and {@code reserveBytes})
 * @param reserveBytes     device bytes left out of the pool for activations and cuBLAS
 * @param maxAdapters      most adapters on the device at once
 * @param decodeChunk      positions per flash-decoding chunk
 */
record CudaConfig(GemmChoice gemm, long adapterPoolBytes, long reserveBytes, int maxAdapters, int decodeChunk) {
  /** Matrix products: cuBLAS if it loads (auto), cuBLAS or fail, or our own kernel. */
  public enum GemmChoice {
    AUTO,
    CUBLAS,
    KERNEL
  }

  public static final CudaConfig DEFAULTS = new CudaConfig(GemmChoice.AUTO, 0, 1L << 30, 4096, 256);

  public CudaConfig {
    if (adapterPoolBytes < 0 || reserveBytes < 0 || maxAdapters < 1 || decodeChunk < 1) {
      throw new IllegalArgumentException("invalid CUDA options " + this);
    }
  }

  /**
   * The defaults overridden by system properties: {@code lorafleet.cuda.gemm} (auto|cublas|kernel),
   * {@code lorafleet.cuda.adapterPoolMiB}, {@code lorafleet.cuda.reserveMiB},
   * {@code lorafleet.cuda.maxAdapters}, {@code lorafleet.cuda.decodeChunk}.
   */
  public static CudaConfig fromSystemProperties() {
    CudaConfig d = DEFAULTS;
    return new CudaConfig(
        GemmChoice.valueOf(System.getProperty("lorafleet.cuda.gemm", d.gemm().name()).toUpperCase(java.util.Locale.ROOT)),
        Long.getLong("lorafleet.cuda.adapterPoolMiB", d.adapterPoolBytes() >> 20) << 20,
        Long.getLong("lorafleet.cuda.reserveMiB", d.reserveBytes() >> 20) << 20,
        Integer.getInteger("lorafleet.cuda.maxAdapters", d.maxAdapters()),
        Integer.getInteger("lorafleet.cuda.decodeChunk", d.decodeChunk()));
  }

  public CudaConfig withAdapterPoolBytes(long b) {
    return new CudaConfig(gemm, b, reserveBytes, maxAdapters, decodeChunk);
  }

  public CudaConfig withDecodeChunk(int c) {
    return new CudaConfig(gemm, adapterPoolBytes, reserveBytes, maxAdapters, c);
  }
}
