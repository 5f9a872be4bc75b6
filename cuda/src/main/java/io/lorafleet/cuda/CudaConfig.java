package io.lorafleet.cuda;

/**
 * Settings of the CUDA backend.
 *
 * @param gemm             which matrix products to use
 * @param adapterPoolBytes device bytes for adapter pages on top of the KV cache (0: what the device has
 *                         free after the KV cache and {@code reserveBytes})
 * @param reserveBytes     device bytes left out of the pool for activations and cuBLAS
 * @param maxAdapters      most adapters on the device at once
 * @param decodeChunk      positions per flash-decoding chunk
 */
record CudaOptions(GemmChoice gemm, long adapterPoolBytes, long reserveBytes, int maxAdapters, int decodeChunk) {
  /** Matrix products: cuBLAS if it loads (auto), cuBLAS or fail, or our own kernel. */
  public enum GemmChoice {
    AUTO,
    CUBLAS,
    KERNEL
  }

  public static final CudaOptions DEFAULTS = new CudaOptions(GemmChoice.AUTO, 0, 1L << 30, 4096, 256);

  public CudaOptions {
    if (adapterPoolBytes < 0 || reserveBytes < 0 || maxAdapters < 1 || decodeChunk < 1) {
      throw new IllegalArgumentException("invalid CUDA options " + this);
    }
  }

  /**
   * The defaults overridden by system properties: {@code lorafleet.cuda.gemm} (auto|cublas|kernel),
   * {@code lorafleet.cuda.adapterPoolMiB}, {@code lorafleet.cuda.reserveMiB},
   * {@code lorafleet.cuda.maxAdapters}, {@code lorafleet.cuda.decodeChunk}.
   */
  public static CudaOptions fromSystemProperties() {
    CudaOptions d = DEFAULTS;
    return new CudaOptions(
        GemmChoice.valueOf(System.getProperty("lorafleet.cuda.gemm", d.gemm().name()).toUpperCase(java.util.Locale.ROOT)),
        Long.getLong("lorafleet.cuda.adapterPoolMiB", d.adapterPoolBytes() >> 20) << 20,
        Long.getLong("lorafleet.cuda.reserveMiB", d.reserveBytes() >> 20) << 20,
        Integer.getInteger("lorafleet.cuda.maxAdapters", d.maxAdapters()),
        Integer.getInteger("lorafleet.cuda.decodeChunk", d.decodeChunk()));
  }

  public CudaOptions withGemm(GemmChoice g) {
    return new CudaOptions(g, adapterPoolBytes, reserveBytes, maxAdapters, decodeChunk);
  }

  public CudaOptions withAdapterPoolBytes(long b) {
    return new CudaOptions(gemm, b, reserveBytes, maxAdapters, decodeChunk);
  }

  public CudaOptions withReserveBytes(long b) {
    return new CudaOptions(gemm, adapterPoolBytes, b, maxAdapters, decodeChunk);
  }

  public CudaOptions withDecodeChunk(int c) {
    return new CudaOptions(gemm, adapterPoolBytes, reserveBytes, maxAdapters, c);
  }
}
