package io.lorafleet.cuda;

/**
 * The big matrix products of the forward pass: {@code y[m, n] (row stride ldy) = x[m, k] . w[n, k]^T},
 * x and w bf16 row-major (w in nn.Linear layout), y float32, float32 accumulation, queued on the compute
 * stream. {@link CublasGemm} when cuBLAS loads, {@link KernelGemm} otherwise.
 */
interface Gemm extends AutoCloseable {
  String name();

  void multiply(long x, long w, long y, int m, int n, int k, int ldy);

  @Override
  default void close() {}
}
