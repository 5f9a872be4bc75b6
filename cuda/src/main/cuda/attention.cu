// Causal attention over the paged KV cache.
//
// Cache: float32 pages; a KV block of block_size tokens lives in one page; within a page, layer l's K is
// [block_size, kv_dim] at layer_offset = 2 * l * block_size * kv_dim and its V follows at + block_size *
// kv_dim. A row at position p attends to positions 0..p of its sequence; token t of a sequence is in page
// page_table[seq_page_start + t / block_size], slot t % block_size.
//
// Two paths, both per KV head so that the query heads of a GQA group share their K/V reads:
//  - decode (flash-decoding): work items (row, chunk) split each row's context into chunks of
//    chunk_size positions; attention_decode_* writes a partial result (unnormalized sum, max, sum of
//    exponentials) per item and query head; attention_combine merges a row's chunks.
//  - prefill: tiles of consecutive rows of one sequence; K/V tiles of 32 positions are staged in shared
//    memory and every warp keeps an online softmax for its query vectors.
// Both write the attention output as split bf16 (lo half at rows * q_dim), the input of the o projection.
//
// Head dims 32, 64 and 128 are compiled (E = head_dim / 32 values per lane, element d = e * 32 + lane).
#include "common.cuh"

namespace {

constexpr int DECODE_MAX_HEADS = 8;   // query heads one decode block handles (grid z covers the rest)
constexpr int DECODE_WARPS = 4;       // block of 128 threads
constexpr int PREFILL_MAX_QUERIES = 16;  // query vectors (rows x heads) one prefill block handles
constexpr int PREFILL_KV_TILE = 32;   // positions per shared-memory K/V tile (one per lane)

__device__ __forceinline__ const float* kv_row(const float* pool, long long page_floats, long long layer_offset,
                                               int page, int slot, int kv_dim, int kv_head, int head_dim) {
  return pool + (long long)page * page_floats + layer_offset + (long long)slot * kv_dim + kv_head * head_dim;
}

template <int E>
__device__ void attention_decode_impl(const float* __restrict__ q, float* __restrict__ partial,
                                      const int* __restrict__ items, const int* __restrict__ positions,
                                      const int* __restrict__ page_table, const int* __restrict__ row_page_start,
                                      const float* __restrict__ pool, long long page_floats, long long layer_offset,
                                      int block_size, int num_heads, int num_kv_heads, int chunk_size, float scale) {
  constexpr int HD = 32 * E;
  __shared__ float s_m[DECODE_WARPS][DECODE_MAX_HEADS];
  __shared__ float s_l[DECODE_WARPS][DECODE_MAX_HEADS];
  __shared__ float s_acc[DECODE_WARPS][DECODE_MAX_HEADS][HD];

  const int item = blockIdx.x;
  const int kvh = blockIdx.y;
  const int group = num_heads / num_kv_heads;
  const int g0 = blockIdx.z * DECODE_MAX_HEADS;
  const int ng = min(DECODE_MAX_HEADS, group - g0);
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int row = items[2 * item];
  const int chunk = items[2 * item + 1];
  const int ctx = positions[row] + 1;
  const int start = chunk * chunk_size;
  const int end = min(ctx, start + chunk_size);
  const int q_dim = num_heads * HD;
  const int kv_dim = num_kv_heads * HD;
  const int* pages = page_table + row_page_start[row];

  float qv[DECODE_MAX_HEADS][E];
  float m[DECODE_MAX_HEADS];
  float l[DECODE_MAX_HEADS];
  float acc[DECODE_MAX_HEADS][E];
#pragma unroll
  for (int g = 0; g < DECODE_MAX_HEADS; ++g) {
    m[g] = lf::neg_inf();
    l[g] = 0.0f;
#pragma unroll
    for (int e = 0; e < E; ++e) {
      acc[g][e] = 0.0f;
      qv[g][e] = g < ng ? q[(long long)row * q_dim + (kvh * group + g0 + g) * HD + e * 32 + lane] : 0.0f;
    }
  }

  for (int p = start + warp; p < end; p += DECODE_WARPS) {
    const float* k = kv_row(pool, page_floats, layer_offset, pages[p / block_size], p % block_size, kv_dim, kvh, HD);
    const float* v = k + (long long)block_size * kv_dim;
    float kk[E];
    float vv[E];
#pragma unroll
    for (int e = 0; e < E; ++e) {
      kk[e] = k[e * 32 + lane];
      vv[e] = v[e * 32 + lane];
    }
#pragma unroll
    for (int g = 0; g < DECODE_MAX_HEADS; ++g) {
      if (g < ng) {
        float s = 0.0f;
#pragma unroll
        for (int e = 0; e < E; ++e) {
          s += qv[g][e] * kk[e];
        }
        s = lf::warp_sum(s) * scale;
        float m_new = fmaxf(m[g], s);
        float alpha = expf(m[g] - m_new);
        float w = expf(s - m_new);
        l[g] = l[g] * alpha + w;
#pragma unroll
        for (int e = 0; e < E; ++e) {
          acc[g][e] = acc[g][e] * alpha + w * vv[e];
        }
        m[g] = m_new;
      }
    }
  }

#pragma unroll
  for (int g = 0; g < DECODE_MAX_HEADS; ++g) {
    if (g < ng) {
      if (lane == 0) {
        s_m[warp][g] = m[g];
        s_l[warp][g] = l[g];
      }
#pragma unroll
      for (int e = 0; e < E; ++e) {
        s_acc[warp][g][e * 32 + lane] = acc[g][e];
      }
    }
  }
  __syncthreads();
  for (int idx = threadIdx.x; idx < ng * HD; idx += blockDim.x) {
    int g = idx / HD;
    int d = idx % HD;
    float mx = lf::neg_inf();
    for (int w = 0; w < DECODE_WARPS; ++w) {
      mx = fmaxf(mx, s_m[w][g]);
    }
    float sum_l = 0.0f;
    float sum_a = 0.0f;
    for (int w = 0; w < DECODE_WARPS; ++w) {
      float f = s_m[w][g] == lf::neg_inf() ? 0.0f : expf(s_m[w][g] - mx);
      sum_l += s_l[w][g] * f;
      sum_a += s_acc[w][g][d] * f;
    }
    int head = kvh * group + g0 + g;
    float* out = partial + ((long long)item * num_heads + head) * (HD + 2);
    out[d] = sum_a;
    if (d == 0) {
      out[HD] = mx;
      out[HD + 1] = sum_l;
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
 * Decode partials. Grid (items, num_kv_heads, ceil(group / 8)), block 128. items holds (row, chunk)
 * pairs; partial gets, per item and query head, head_dim unnormalized sums then the max and the sum of
 * exponentials ([items, num_heads, head_dim + 2]). q is already rotated ([rows, q_dim] float32).
 */
#define LF_DECODE(NAME, E)                                                                                      \
  LF_KERNEL void NAME(const float* __restrict__ q, float* __restrict__ partial, const int* __restrict__ items,     \
                      const int* __restrict__ positions, const int* __restrict__ page_table,                       \
                      const int* __restrict__ row_page_start, const float* __restrict__ pool,                      \
                      long long page_floats, long long layer_offset, int block_size, int num_heads,                \
                      int num_kv_heads, int chunk_size, float scale) {                                             \
    attention_decode_impl<E>(q, partial, items, positions, page_table, row_page_start, pool, page_floats,          \
                             layer_offset, block_size, num_heads, num_kv_heads, chunk_size, scale);                \
  }                                                                                                                \
  LF_EXPORT(NAME)

LF_DECODE(attention_decode_hd32, 1)
LF_DECODE(attention_decode_hd64, 2)
LF_DECODE(attention_decode_hd128, 4)

/**
 * Merges the chunks of each decode row: rows[i] has items item_start[i] .. item_start[i] + item_count[i]
 * - 1. Writes the normalized output as split bf16 into out ([rows, q_dim], lo half at total_rows * q_dim).
 * Grid (decode rows, num_heads), block head_dim.
 */
LF_KERNEL void attention_combine(const float* __restrict__ partial, const int* __restrict__ decode_rows,
                                 const int* __restrict__ item_start, const int* __restrict__ item_count,
                                 int num_heads, int head_dim, int total_rows, bf16_t* __restrict__ out) {
  int i = blockIdx.x;
  int head = blockIdx.y;
  int d = threadIdx.x;
  int first = item_start[i];
  int n = item_count[i];
  long long stride = (long long)num_heads * (head_dim + 2);
  const float* base = partial + (long long)first * stride + (long long)head * (head_dim + 2);
  float mx = lf::neg_inf();
  for (int c = 0; c < n; ++c) {
    mx = fmaxf(mx, base[c * stride + head_dim]);
  }
  float sum_l = 0.0f;
  float sum_a = 0.0f;
  for (int c = 0; c < n; ++c) {
    const float* p = base + c * stride;
    float f = expf(p[head_dim] - mx);
    sum_l += p[head_dim + 1] * f;
    sum_a += p[d] * f;
  }
  int q_dim = num_heads * head_dim;
  long long at = (long long)decode_rows[i] * q_dim + head * head_dim + d;
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
