package io.lorafleet.cuda;

/**
 * The products over int8 weights ({@code --quantize int8}): {@code w} is the address of a matrix that
 * {@link DeviceWeights} uploaded as int8 codes {@code [n, k]} followed, at {@link #scalesOffset}, by one
 * float32 scale per output feature. Decode-sized products ({@code m <=} {@link Kernels#GEMV_W8_MAX_M}, the
 * split halves counted) run gemv_w8, larger ones the tiled gemm_w8. cuBLAS has no such product, so these
 * run on our kernels whatever {@code lorafleet.cuda.gemm} says.
 */
final class Int8KernelGemm implements Gemm {
  /** Alignment of the scales after the codes. */
  static final long ALIGN = 256;

  private final Kernels kernels;
  private final GpuStream stream;

  Int8KernelGemm(Kernels kernels, GpuStream stream) {
    this.kernels = kernels;
    this.stream = stream;
  }

  /** Where the scales of an int8 matrix of {@code rows x cols} start, from its address. */
  static long scalesOffset(long rows, long cols) {
    return (rows * cols + ALIGN - 1) / ALIGN * ALIGN;
  }

  /** Device bytes of an int8 matrix of {@code rows x cols} with its scales. */
  static long bytes(long rows, long cols) {
    return scalesOffset(rows, cols) + 4 * rows;
  }

  @Override
  public String name() {
    return "kernel gemv_w8/gemm_w8";
  }

  @Override
  public void multiply(long x, long w, long y, int m, int n, int k, int ldy) {
    long scales = w + scalesOffset(n, k);
    if (m <= Kernels.GEMV_W8_MAX_M) {
      kernels.gemvW8(stream, x, w, scales, y, m, n, k, ldy);
    } else {
      kernels.gemmW8(stream, x, w, scales, y, m, n, k, ldy);
    }
  }
}
