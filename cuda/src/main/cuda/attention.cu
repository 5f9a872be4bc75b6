// Causal attention over the paged KV cache.
//
// Cache: float32 pages; a KV block of block_size tokens lives in one page; within a page, layer l's K is
// [block_size, kv_dim] at layer_offset = 2 * l * block_size * kv_dim and its V follows at + block_size *
// kv_dim. A row at position p attends to positions 0..p of its sequence; token t of a sequence is in page
// page_table[seq_page_start + t / block_size], slot t % block_size.
//
// Two paths, both per KV head so that the query heads of a GQA group share their K/V reads:
//  - decode (flash-decoding): each decode row's context is split into `splits` ranges (fewer for a short
//    context: at least DECODE_MIN_CHUNK positions per range), one block per (row, range, KV head), so that
//    rows x splits x KV heads fill the device at any batch size and context. K and V are read 16 bytes
//    per lane (head_dim / 4 lanes per position, 128 / head_dim positions per warp at once). A row whose
//    context needs one range writes its output directly; the others write partial results (unnormalized
//    sum, max, sum of exponentials) per range and query head that attention_combine merges.
//  - prefill: tiles of consecutive rows of one sequence; K/V tiles of 32 positions are staged in shared
//    memory and every warp keeps an online softmax for its query vectors.
// Both write the attention output as split bf16 (lo half at rows * q_dim), the input of the o projection.
//
// Head dims 32, 64 and 128 are compiled (E = head_dim / 32).
#include "common.cuh"

namespace {

constexpr int DECODE_MAX_HEADS = 8;   // query heads one decode block handles (grid z covers the rest)
constexpr int DECODE_WARPS = 4;       // block of 128 threads
constexpr int DECODE_MIN_CHUNK = 16;  // fewest positions per decode range (io.lorafleet.cuda.Kernels)
constexpr int PREFILL_MAX_QUERIES = 16;  // query vectors (rows x heads) one prefill block handles
constexpr int PREFILL_KV_TILE = 32;   // positions per shared-memory K/V tile (one per lane)

__device__ __forceinline__ const float* kv_row(const float* pool, long long page_floats, long long layer_offset,
                                               int page, int slot, int kv_dim, int kv_head, int head_dim) {
  return pool + (long long)page * page_floats + layer_offset + (long long)slot * kv_dim + kv_head * head_dim;
}

/** Ranges a decode row of context ctx is split into when the launch allows up to `splits`. */
__device__ __forceinline__ int decode_ranges(int ctx, int splits) {
  return min(splits, (ctx + DECODE_MIN_CHUNK - 1) / DECODE_MIN_CHUNK);
}

template <int E>
__device__ void attention_decode_impl(const float* __restrict__ q, float* __restrict__ partial,
                                      bf16_t* __restrict__ out, const int* __restrict__ decode_rows, int splits,
                                      int total_rows, const int* __restrict__ positions,
                                      const int* __restrict__ page_table, const int* __restrict__ row_page_start,
                                      const float* __restrict__ pool, long long page_floats, long long layer_offset,
                                      int block_size, int num_heads, int num_kv_heads, float scale) {
  constexpr int HD = 32 * E;
  constexpr int LP = HD / 4;     // lanes per position: each holds 4 consecutive dims (one 16-byte load)
  constexpr int PW = 32 / LP;    // positions a warp reads at once
  constexpr int STATES = DECODE_WARPS * PW;
  __shared__ float s_m[STATES][DECODE_MAX_HEADS];
  __shared__ float s_l[STATES][DECODE_MAX_HEADS];
  __shared__ float s_acc[STATES][DECODE_MAX_HEADS][HD];

  const int row = decode_rows[blockIdx.x / splits];
  const int split = blockIdx.x % splits;
  const int ctx = positions[row] + 1;
  const int ranges = decode_ranges(ctx, splits);
  if (split >= ranges) {
    return;  // the whole block: this row's context needs fewer ranges than the launch has
  }
  const int chunk = (ctx + ranges - 1) / ranges;
  const int start = split * chunk;
  const int end = min(ctx, start + chunk);
  const int kvh = blockIdx.y;
  const int group = num_heads / num_kv_heads;
  const int g0 = blockIdx.z * DECODE_MAX_HEADS;
  const int ng = min(DECODE_MAX_HEADS, group - g0);
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int sub = lane % LP;   // dims sub * 4 .. sub * 4 + 3
  const int slot = lane / LP;  // which of the warp's PW positions
  const int q_dim = num_heads * HD;
  const int kv_dim = num_kv_heads * HD;
  const int* pages = page_table + row_page_start[row];

  float qv[DECODE_MAX_HEADS][4];
  float m[DECODE_MAX_HEADS];
  float l[DECODE_MAX_HEADS];
  float acc[DECODE_MAX_HEADS][4];
#pragma unroll
  for (int g = 0; g < DECODE_MAX_HEADS; ++g) {
    m[g] = lf::neg_inf();
    l[g] = 0.0f;
    float4 qq = g < ng ? *reinterpret_cast<const float4*>(q + (long long)row * q_dim + (kvh * group + g0 + g) * HD
                                                          + sub * 4)
                       : float4{0.0f, 0.0f, 0.0f, 0.0f};
    qv[g][0] = qq.x;
    qv[g][1] = qq.y;
    qv[g][2] = qq.z;
    qv[g][3] = qq.w;
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      acc[g][e] = 0.0f;
    }
  }

  for (int p0 = start + warp * PW; p0 < end; p0 += DECODE_WARPS * PW) {
    const int p = p0 + slot;
    const bool valid = p < end;
    float4 kk = {0.0f, 0.0f, 0.0f, 0.0f};
    float4 vv = {0.0f, 0.0f, 0.0f, 0.0f};
    if (valid) {
      const float* k = kv_row(pool, page_floats, layer_offset, pages[p / block_size], p % block_size, kv_dim, kvh, HD)
                       + sub * 4;
      kk = *reinterpret_cast<const float4*>(k);
      vv = *reinterpret_cast<const float4*>(k + (long long)block_size * kv_dim);
    }
#pragma unroll
    for (int g = 0; g < DECODE_MAX_HEADS; ++g) {
      if (g < ng) {
        float s = qv[g][0] * kk.x + qv[g][1] * kk.y + qv[g][2] * kk.z + qv[g][3] * kk.w;
#pragma unroll
        for (int o = LP / 2; o > 0; o >>= 1) {
          s += __shfl_xor_sync(lf::FULL_MASK, s, o);
        }
        if (valid) {
          s *= scale;
          float m_new = fmaxf(m[g], s);
          float alpha = expf(m[g] - m_new);
          float w = expf(s - m_new);
          l[g] = l[g] * alpha + w;
          acc[g][0] = acc[g][0] * alpha + w * vv.x;
          acc[g][1] = acc[g][1] * alpha + w * vv.y;
          acc[g][2] = acc[g][2] * alpha + w * vv.z;
          acc[g][3] = acc[g][3] * alpha + w * vv.w;
          m[g] = m_new;
        }
      }
    }
  }

  const int state = warp * PW + slot;
#pragma unroll
  for (int g = 0; g < DECODE_MAX_HEADS; ++g) {
    if (g < ng) {
      if (sub == 0) {
        s_m[state][g] = m[g];
        s_l[state][g] = l[g];
      }
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        s_acc[state][g][sub * 4 + e] = acc[g][e];
      }
    }
  }
  __syncthreads();
  for (int idx = threadIdx.x; idx < ng * HD; idx += blockDim.x) {
    int g = idx / HD;
    int d = idx % HD;
    float mx = lf::neg_inf();
    for (int w = 0; w < STATES; ++w) {
      mx = fmaxf(mx, s_m[w][g]);
    }
    float sum_l = 0.0f;
    float sum_a = 0.0f;
    for (int w = 0; w < STATES; ++w) {
      float f = s_m[w][g] == lf::neg_inf() ? 0.0f : expf(s_m[w][g] - mx);
      sum_l += s_l[w][g] * f;
      sum_a += s_acc[w][g][d] * f;
    }
    int head = kvh * group + g0 + g;
    if (ranges == 1) {
      long long at = (long long)row * q_dim + head * HD + d;
      lf::store_split(out, out + (long long)total_rows * q_dim, at, sum_a / sum_l);
    } else {
      float* part = partial + ((long long)blockIdx.x * num_heads + head) * (HD + 2);
      part[d] = sum_a;
      if (d == 0) {
        part[HD] = mx;
        part[HD + 1] = sum_l;
      }
    }
  }
}

template <int E>
__device__ void attention_prefill_impl(const float* __restrict__ q, bf16_t* __restrict__ out, int rows,
                                       const int* __restrict__ tiles, const int* __restrict__ positions,
                                       const int* __restrict__ page_table, const float* __restrict__ pool,
                                       long long page_floats, long long layer_offset, int block_size, int num_heads,
                                       int num_kv_heads, int heads_per_block, float scale) {
  constexpr int HD = 32 * E;
  constexpr int PER_WARP = PREFILL_MAX_QUERIES / 4;  // block of 4 warps
  __shared__ float s_k[PREFILL_KV_TILE][HD + 1];
  __shared__ float s_v[PREFILL_KV_TILE][HD];
  __shared__ float s_q[PREFILL_MAX_QUERIES][HD];

  const int tile = blockIdx.x;
  const int kvh = blockIdx.y;
  const int group = num_heads / num_kv_heads;
  const int g0 = blockIdx.z * heads_per_block;
  const int nh = min(heads_per_block, group - g0);
  const int row_start = tiles[4 * tile];
  const int nrows = tiles[4 * tile + 1];
  const int page_start = tiles[4 * tile + 2];
  const int nq = nrows * nh;
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int q_dim = num_heads * HD;
  const int kv_dim = num_kv_heads * HD;
  const int* pages = page_table + page_start;

  for (int idx = threadIdx.x; idx < nq * HD; idx += blockDim.x) {
    int qi = idx / HD;
    int d = idx % HD;
    int r = row_start + qi / nh;
    int head = kvh * group + g0 + qi % nh;
    s_q[qi][d] = q[(long long)r * q_dim + head * HD + d];
  }

  float m[PER_WARP];
  float l[PER_WARP];
  float acc[PER_WARP][E];
  int qpos[PER_WARP];
#pragma unroll
  for (int j = 0; j < PER_WARP; ++j) {
    int qi = warp + 4 * j;
    m[j] = lf::neg_inf();
    l[j] = 0.0f;
    qpos[j] = qi < nq ? positions[row_start + qi / nh] : -1;
#pragma unroll
    for (int e = 0; e < E; ++e) {
      acc[j][e] = 0.0f;
    }
  }
  const int max_pos = positions[row_start + nrows - 1];

  for (int kt = 0; kt <= max_pos; kt += PREFILL_KV_TILE) {
    __syncthreads();
    for (int idx = threadIdx.x; idx < PREFILL_KV_TILE * HD; idx += blockDim.x) {
      int j = idx / HD;
      int d = idx % HD;
      int p = kt + j;
      float kx = 0.0f;
      float vx = 0.0f;
      if (p <= max_pos) {
        const float* k = kv_row(pool, page_floats, layer_offset, pages[p / block_size], p % block_size, kv_dim, kvh, HD);
        kx = k[d];
        vx = k[(long long)block_size * kv_dim + d];
      }
      s_k[j][d] = kx;
      s_v[j][d] = vx;
    }
    __syncthreads();
#pragma unroll
    for (int j = 0; j < PER_WARP; ++j) {
      int qi = warp + 4 * j;
      if (qi < nq && kt <= qpos[j]) {
        int p = kt + lane;
        bool visible = p <= qpos[j];
        float s = lf::neg_inf();
        if (visible) {
          s = 0.0f;
          for (int d = 0; d < HD; ++d) {
            s += s_q[qi][d] * s_k[lane][d];
          }
          s *= scale;
        }
        float tile_max = lf::warp_max(s);
        float m_new = fmaxf(m[j], tile_max);
        float alpha = expf(m[j] - m_new);
        float w = visible ? expf(s - m_new) : 0.0f;
        l[j] = l[j] * alpha + lf::warp_sum(w);
#pragma unroll
        for (int e = 0; e < E; ++e) {
          acc[j][e] *= alpha;
        }
        for (int t = 0; t < PREFILL_KV_TILE; ++t) {
          float wt = __shfl_sync(lf::FULL_MASK, w, t);
#pragma unroll
          for (int e = 0; e < E; ++e) {
            acc[j][e] += wt * s_v[t][e * 32 + lane];
          }
        }
        m[j] = m_new;
      }
    }
  }

  bf16_t* lo = out + (long long)rows * q_dim;
#pragma unroll
  for (int j = 0; j < PER_WARP; ++j) {
    int qi = warp + 4 * j;
    if (qi < nq) {
      int r = row_start + qi / nh;
      int head = kvh * group + g0 + qi % nh;
      float inv = 1.0f / l[j];
#pragma unroll
      for (int e = 0; e < E; ++e) {
        lf::store_split(out, lo, (long long)r * q_dim + head * HD + e * 32 + lane, acc[j][e] * inv);
      }
    }
  }
}

}  // namespace

/**
 * Decode. Grid (decode rows x splits, num_kv_heads, ceil(group / 8)), block 128. Block x serves decode row
 * decode_rows[x / splits] (a batch row) and its range x % splits; a row of context ctx uses
 * min(splits, ceil(ctx / 16)) ranges. One range: the normalized output, as split bf16, into out ([rows,
 * q_dim], lo half at total_rows * q_dim). More: partial gets, per block x and query head, head_dim
 * unnormalized sums then the max and the sum of exponentials ([decode rows x splits, num_heads, head_dim + 2]).
 * q is already rotated ([rows, q_dim] float32).
 */
#define LF_DECODE(NAME, E)                                                                                      \
  LF_KERNEL void NAME(const float* __restrict__ q, float* __restrict__ partial, bf16_t* __restrict__ out,         \
                      const int* __restrict__ decode_rows, int splits, int total_rows,                             \
                      const int* __restrict__ positions, const int* __restrict__ page_table,                       \
                      const int* __restrict__ row_page_start, const float* __restrict__ pool,                      \
                      long long page_floats, long long layer_offset, int block_size, int num_heads,                \
                      int num_kv_heads, float scale) {                                                             \
    attention_decode_impl<E>(q, partial, out, decode_rows, splits, total_rows, positions, page_table,              \
                             row_page_start, pool, page_floats, layer_offset, block_size, num_heads, num_kv_heads, \
                             scale);                                                                               \
  }                                                                                                                \
  LF_EXPORT(NAME)

LF_DECODE(attention_decode_hd32, 1)
LF_DECODE(attention_decode_hd64, 2)
LF_DECODE(attention_decode_hd128, 4)

/**
 * Merges the ranges of the decode rows that have more than one (the others were written by the decode
 * kernel): the normalized output as split bf16 into out ([rows, q_dim], lo half at total_rows * q_dim).
 * Grid (decode rows, num_heads), block head_dim; the same decode_rows and splits as the decode launch.
 */
LF_KERNEL void attention_combine(const float* __restrict__ partial, const int* __restrict__ decode_rows, int splits,
                                 const int* __restrict__ positions, int num_heads, int head_dim, int total_rows,
                                 bf16_t* __restrict__ out) {
  const int i = blockIdx.x;
  const int head = blockIdx.y;
  const int d = threadIdx.x;
  const int row = decode_rows[i];
  const int n = decode_ranges(positions[row] + 1, splits);
  if (n <= 1) {
    return;
  }
  const long long stride = (long long)num_heads * (head_dim + 2);
  const float* base = partial + (long long)i * splits * stride + (long long)head * (head_dim + 2);
  float mx = lf::neg_inf();
  for (int c = 0; c < n; ++c) {
    mx = fmaxf(mx, base[c * stride + head_dim]);
  }
  float sum_l = 0.0f;
  float sum_a = 0.0f;
  for (int c = 0; c < n; ++c) {
    const float* p = base + c * stride;
    float f = p[head_dim] == lf::neg_inf() ? 0.0f : expf(p[head_dim] - mx);
    sum_l += p[head_dim + 1] * f;
    sum_a += p[d] * f;
  }
  const int q_dim = num_heads * head_dim;
  const long long at = (long long)row * q_dim + head * head_dim + d;
  lf::store_split(out, out + (long long)total_rows * q_dim, at, sum_a / sum_l);
}
LF_EXPORT(attention_combine)

/**
 * Prefill. Grid (tiles, num_kv_heads, ceil(group / heads_per_block)), block 128. tiles holds 4 ints per
 * tile: first row, row count, the sequence's offset in page_table, unused. rows x heads_per_block <= 16.
 */
#define LF_PREFILL(NAME, E)                                                                                      \
  LF_KERNEL void NAME(const float* __restrict__ q, bf16_t* __restrict__ out, int rows, const int* __restrict__ tiles, \
                      const int* __restrict__ positions, const int* __restrict__ page_table,                       \
                      const float* __restrict__ pool, long long page_floats, long long layer_offset,               \
                      int block_size, int num_heads, int num_kv_heads, int heads_per_block, float scale) {          \
    attention_prefill_impl<E>(q, out, rows, tiles, positions, page_table, pool, page_floats, layer_offset,          \
                              block_size, num_heads, num_kv_heads, heads_per_block, scale);                         \
  }                                                                                                                \
  LF_EXPORT(NAME)

LF_PREFILL(attention_prefill_hd32, 1)
LF_PREFILL(attention_prefill_hd64, 2)
LF_PREFILL(attention_prefill_hd128, 4)
