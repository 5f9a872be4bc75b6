// Element-wise kernels: SwiGLU and folding the two halves of a product output.
#include "common.cuh"

/**
 * SwiGLU on a fused gate/up product: gu row r holds gate in columns [0, inter) and up in [inter, 2 inter)
 * (row stride ld, lo half at gu_lo). out[r, c] = silu(gate) * up as split bf16 (lo half at rows * inter).
 * Grid (ceil(inter / blockDim), rows).
 */
LF_KERNEL void silu_mul(const float* __restrict__ gu, int ld, long long gu_lo, int inter, int rows,
                        bf16_t* __restrict__ out) {
  int r = blockIdx.y;
  int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= inter) {
    return;
  }
  long long base = (long long)r * ld;
  float g = lf::load_sum(gu, base + c, gu_lo);
  float u = lf::load_sum(gu, base + inter + c, gu_lo);
  float a = g / (1.0f + expf(-g)) * u;
  lf::store_split(out, out + (long long)rows * inter, (long long)r * inter + c, a);
}
LF_EXPORT(silu_mul)

/** out[r, c] = y[r * ld + c] + y[r * ld + c + y_lo]. Grid (ceil(cols / blockDim), rows). */
LF_KERNEL void fold_rows(const float* __restrict__ y, int ld, long long y_lo, int cols, float* __restrict__ out) {
  int r = blockIdx.y;
  int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c < cols) {
    out[(long long)r * cols + c] = lf::load_sum(y, (long long)r * ld + c, y_lo);
  }
}
LF_EXPORT(fold_rows)
