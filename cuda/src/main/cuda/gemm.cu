// The fallback matrix product, used when cuBLAS cannot be loaded (and by the CPU emulator):
//   y[m, n] (row stride ldy) = x[m, k] . w[n, k]^T, x and w bf16 row-major, float32 accumulation.
// Same contract as the cuBLAS path (io.lorafleet.cuda.CublasGemm), so both give the same numbers up to
// the order of the float32 sums. A plain shared-memory tiled SIMT kernel: 64 x 64 outputs per block of
// 256 threads, 4 x 4 per thread, k in steps of 16.
#include "common.cuh"

namespace {
constexpr int TM = 64;
constexpr int TN = 64;
constexpr int TK = 16;
}  // namespace

/** Grid (ceil(n / 64), ceil(m / 64)), block 256. */
LF_KERNEL void gemm_bf16(const bf16_t* __restrict__ x, const bf16_t* __restrict__ w, float* __restrict__ y, int m,
                         int n, int k, int ldy) {
  __shared__ float s_x[TK][TM + 4];
  __shared__ float s_w[TK][TN + 4];
  const int tid = threadIdx.x;
  const int tx = tid % 16;
  const int ty = tid / 16;
  const int row0 = blockIdx.y * TM;
  const int col0 = blockIdx.x * TN;
  float acc[4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i) {
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      acc[i][j] = 0.0f;
    }
  }
  for (int k0 = 0; k0 < k; k0 += TK) {
    for (int idx = tid; idx < TM * TK; idx += blockDim.x) {
      int r = idx / TK;
      int c = idx % TK;
      int gk = k0 + c;
      int gr = row0 + r;
      int gc = col0 + r;
      s_x[c][r] = (gr < m && gk < k) ? lf::bf16_to_float(x[(long long)gr * k + gk]) : 0.0f;
      s_w[c][r] = (gc < n && gk < k) ? lf::bf16_to_float(w[(long long)gc * k + gk]) : 0.0f;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < TK; ++kk) {
      float a[4];
      float b[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        a[i] = s_x[kk][ty * 4 + i];
        b[i] = s_w[kk][tx * 4 + i];
      }
#pragma unroll
      for (int i = 0; i < 4; ++i) {
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          acc[i][j] += a[i] * b[j];
        }
      }
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    int r = row0 + ty * 4 + i;
    if (r < m) {
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        int c = col0 + tx * 4 + j;
        if (c < n) {
          y[(long long)r * ldy + c] = acc[i][j];
        }
      }
    }
  }
}
LF_EXPORT(gemm_bf16)
