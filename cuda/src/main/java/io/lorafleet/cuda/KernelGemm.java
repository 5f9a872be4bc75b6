package io.lorafleet.cuda;

/** The products on our own kernel (gemm.cu): always there, slower than cuBLAS on large shapes. */
final class KernelGemm implements Gemm {
  private final Kernels kernels;
  private final GpuStream stream;

  KernelGemm(Kernels kernels, GpuStream stream) {
    this.kernels = kernels;
    this.stream = stream;
  }

  @Override
  public String name() {
    return "kernel gemm_bf16";
  }

  @Override
  public void multiply(long x, long w, long y, int m, int n, int k, int ldy) {
    kernels.gemm(stream, x, w, y, m, n, k, ldy);
  }
}
