// Weight-only int8 products (--quantize int8, W8A16):
//   y[m, n] (row stride ldy) = (x[m, k] . q[n, k]^T) * scale[n]
// x bf16 row-major (the split-bf16 rows of common.cuh: hi rows then lo rows, m counts both), q int8
// row-major in nn.Linear layout (one row per output feature), scale float32 per output feature (symmetric,
// no zero point; io.lorafleet.runtime.model.Int8Quantizer), float32 accumulation: codes are widened to
// float in registers, every output's sum is multiplied by its scale once, at the end.
//  - gemv_w8 (m <= 16, decode): one warp per output feature reads its int8 row once, coalesced (4 codes per
//    lane per load), for all m input rows; the warp's partial sums are added by shuffles.
//  - gemm_w8 (larger m, prefill): the tiled kernel of gemm.cu with int8 weights.
#include "common.cuh"

namespace {
constexpr int TM = 64;
constexpr int TN = 64;
constexpr int TK = 16;
constexpr int GEMV_MAX_M = 16;
constexpr int GEMV_WARPS = 8;
}  // namespace

/** Grid (ceil(n / 8)), block 256: warp w of block b computes output feature b * 8 + w for every row. */
LF_KERNEL void gemv_w8(const bf16_t* __restrict__ x, const signed char* __restrict__ q,
                       const float* __restrict__ scale, float* __restrict__ y, int m, int n, int k, int ldy) {
  const int lane = threadIdx.x % lf::WARP;
  const int o = blockIdx.x * GEMV_WARPS + threadIdx.x / lf::WARP;
  float acc[GEMV_MAX_M];
#pragma unroll
  for (int i = 0; i < GEMV_MAX_M; ++i) {
    acc[i] = 0.0f;
  }
  if (o < n) {
    const signed char* row = q + (long long)o * k;
    if ((k & 3) == 0) {
      const int* row4 = reinterpret_cast<const int*>(row);
      for (int k4 = lane; k4 < k / 4; k4 += lf::WARP) {
        int packed = row4[k4];
        float w0 = (float)(signed char)(packed & 0xff);
        float w1 = (float)(signed char)((packed >> 8) & 0xff);
        float w2 = (float)(signed char)((packed >> 16) & 0xff);
        float w3 = (float)(signed char)((packed >> 24) & 0xff);
        int kk = 4 * k4;
#pragma unroll
        for (int i = 0; i < GEMV_MAX_M; ++i) {
          if (i < m) {
            const bf16_t* xr = x + (long long)i * k + kk;
            acc[i] += lf::bf16_to_float(xr[0]) * w0;
            acc[i] += lf::bf16_to_float(xr[1]) * w1;
            acc[i] += lf::bf16_to_float(xr[2]) * w2;
            acc[i] += lf::bf16_to_float(xr[3]) * w3;
          }
        }
      }
    } else {
      for (int kk = lane; kk < k; kk += lf::WARP) {
        float w0 = (float)row[kk];
#pragma unroll
        for (int i = 0; i < GEMV_MAX_M; ++i) {
          if (i < m) {
            acc[i] += lf::bf16_to_float(x[(long long)i * k + kk]) * w0;
          }
        }
      }
    }
  }
  // Every lane of every warp reaches the shuffles (a warp past n adds zeros and writes nothing).
#pragma unroll
  for (int i = 0; i < GEMV_MAX_M; ++i) {
    float s = lf::warp_sum(acc[i]);
    if (lane == 0 && o < n && i < m) {
      y[(long long)i * ldy + o] = s * scale[o];
    }
  }
}
LF_EXPORT(gemv_w8)

/** Grid (ceil(n / 64), ceil(m / 64)), block 256. */
LF_KERNEL void gemm_w8(const bf16_t* __restrict__ x, const signed char* __restrict__ q,
                       const float* __restrict__ scale, float* __restrict__ y, int m, int n, int k, int ldy) {
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
      s_w[c][r] = (gc < n && gk < k) ? (float)q[(long long)gc * k + gk] : 0.0f;
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
          y[(long long)r * ldy + c] = acc[i][j] * scale[c];
        }
      }
    }
  }
}
LF_EXPORT(gemm_w8)
