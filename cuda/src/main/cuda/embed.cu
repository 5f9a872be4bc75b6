// Embedding gather: x[r, :] = table[tokens[r], :] widened from bf16 to float32.
#include "common.cuh"

/** Grid (rows), any block size. */
LF_KERNEL void embed_rows(float* __restrict__ x, const bf16_t* __restrict__ table, const int* __restrict__ tokens,
                          int hidden) {
  int r = blockIdx.x;
  const bf16_t* src = table + (long long)tokens[r] * hidden;
  float* dst = x + (long long)r * hidden;
  for (int i = threadIdx.x; i < hidden; i += blockDim.x) {
    dst[i] = lf::bf16_to_float(src[i]);
  }
}
LF_EXPORT(embed_rows)
