// Residual add fused with RMSNorm, writing the split-bf16 input of the next matrix product.
#include "common.cuh"

/**
 * For each output row i (source row r = row_index ? row_index[i] : i):
 *   x[r] += add[r] (both halves of a product output, when add is not null)
 *   out[i] = x[r] * weight / sqrt(mean(x[r]^2) + eps), as split bf16 (lo half at out_rows * hidden).
 * Grid (out_rows), block 256 (any multiple of 32 up to 1024).
 */
LF_KERNEL void residual_rmsnorm(float* __restrict__ x, const float* __restrict__ add, int add_ld, long long add_lo,
                                const float* __restrict__ weight, float eps, const int* __restrict__ row_index,
                                int out_rows, int hidden, bf16_t* __restrict__ out) {
  __shared__ float scratch[32];
  int i = blockIdx.x;
  int r = row_index != nullptr ? row_index[i] : i;
  float* xr = x + (long long)r * hidden;
  float ss = 0.0f;
  for (int c = threadIdx.x; c < hidden; c += blockDim.x) {
    float v = xr[c];
    if (add != nullptr) {
      v += lf::load_sum(add, (long long)r * add_ld + c, add_lo);
      xr[c] = v;
    }
    ss += v * v;
  }
  ss = lf::block_sum(ss, scratch);
  float inv = 1.0f / sqrtf(ss / hidden + eps);
  bf16_t* hi = out + (long long)i * hidden;
  bf16_t* lo = out + ((long long)out_rows + i) * hidden;
  for (int c = threadIdx.x; c < hidden; c += blockDim.x) {
    lf::store_split(hi, lo, c, xr[c] * inv * weight[c]);
  }
}
LF_EXPORT(residual_rmsnorm)
