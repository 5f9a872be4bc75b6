// RoPE (rotate_half layout) on q and k, and the K/V cache write.
#include "common.cuh"

/**
 * Row r of the fused q/k/v product (row stride ld = q_dim + 2 kv_dim, lo half at qkv_lo):
 *  - q rotated by the angles of positions[r] into q_out[r, :] (float32, row stride q_dim);
 *  - k rotated the same way and v copied into the cache page kv_page[r], slot kv_slot[r].
 * rope holds, per position, head_dim / 2 cosines then head_dim / 2 sines (computed on the host in double).
 * Cache page layout (float32): for each layer, K [block_size, kv_dim] then V [block_size, kv_dim];
 * layer_offset = 2 * layer * block_size * kv_dim.
 * Grid (rows), block 128.
 */
LF_KERNEL void rope_kv_write(const float* __restrict__ qkv, long long qkv_lo, float* __restrict__ q_out,
                             const float* __restrict__ rope, const int* __restrict__ positions,
                             const int* __restrict__ kv_page, const int* __restrict__ kv_slot,
                             float* __restrict__ pool, long long page_floats, long long layer_offset, int block_size,
                             int num_heads, int num_kv_heads, int head_dim) {
  int r = blockIdx.x;
  int half = head_dim / 2;
  int q_dim = num_heads * head_dim;
  int kv_dim = num_kv_heads * head_dim;
  long long row = (long long)r * (q_dim + 2 * kv_dim);
  const float* cs = rope + (long long)positions[r] * head_dim;
  float* k_dst = pool + (long long)kv_page[r] * page_floats + layer_offset + (long long)kv_slot[r] * kv_dim;
  float* v_dst = k_dst + (long long)block_size * kv_dim;
  // Pairs (i, i + half) of every q head, then of every k head.
  int q_pairs = num_heads * half;
  int pairs = q_pairs + num_kv_heads * half;
  for (int p = threadIdx.x; p < pairs; p += blockDim.x) {
    bool is_q = p < q_pairs;
    int pp = is_q ? p : p - q_pairs;
    int head = pp / half;
    int i = pp % half;
    long long src = row + (is_q ? 0 : q_dim) + head * head_dim + i;
    float x0 = lf::load_sum(qkv, src, qkv_lo);
    float x1 = lf::load_sum(qkv, src + half, qkv_lo);
    float c = cs[i];
    float s = cs[half + i];
    float y0 = x0 * c - x1 * s;
    float y1 = x1 * c + x0 * s;
    if (is_q) {
      float* q = q_out + (long long)r * q_dim + head * head_dim;
      q[i] = y0;
      q[i + half] = y1;
    } else {
      k_dst[head * head_dim + i] = y0;
      k_dst[head * head_dim + i + half] = y1;
    }
  }
  for (int c = threadIdx.x; c < kv_dim; c += blockDim.x) {
    v_dst[c] = lf::load_sum(qkv, row + q_dim + kv_dim + c, qkv_lo);
  }
}
LF_EXPORT(rope_kv_write)
