package io.lorafleet.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The products on cuBLAS ({@code cublasGemmEx}: bf16 A and B, float32 C, float32 compute, tensor cores).
 * Row-major {@code y = x . w^T} is column-major {@code y^T = w^T x^T}: with w stored [n, k] row-major
 * (= [k, n] column-major, transposed) and x [m, k] row-major (= [k, m] column-major):
 * {@code C[n, m] = op_T(W) . X}, lda = ldb = k, ldc = ldy.
 */
final class CublasGemm implements Gemm {
  private final CublasLibrary lib;
  private final MemorySegment handle;
  private final MemorySegment one;
  private final MemorySegment zero;
  private final Arena arena = Arena.ofShared();

  CublasGemm(CublasLibrary lib, long rawStream) {
    this.lib = lib;
    this.handle = lib.createHandle();
    lib.setStream(handle, rawStream);
    one = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1.0f);
    zero = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 0.0f);
  }

  /** cuBLAS's own device workspace (see {@link CublasLibrary#setWorkspace}); the caller owns the memory. */
  void setWorkspace(long address, long bytes) {
    lib.setWorkspace(handle, address, bytes);
  }

  int version() {
    return lib.version(handle);
  }

  @Override
  public String name() {
    return "cuBLAS " + version() + " (" + lib.path() + ")";
  }

  @Override
  public void multiply(long x, long w, long y, int m, int n, int k, int ldy) {
    int status = lib.gemmEx(handle, CublasLibrary.CUBLAS_OP_T, CublasLibrary.CUBLAS_OP_N, n, m, k, one,
        w, CublasLibrary.CUDA_R_16BF, k, x, CublasLibrary.CUDA_R_16BF, k, zero, y, CublasLibrary.CUDA_R_32F, ldy,
        CublasLibrary.CUBLAS_COMPUTE_32F, CublasLibrary.CUBLAS_GEMM_DEFAULT);
    CublasLibrary.check(status, "cublasGemmEx(m=" + m + ", n=" + n + ", k=" + k + ")");
  }

  @Override
  public void close() {
    lib.destroyHandle(handle);
    arena.close();
  }
}
