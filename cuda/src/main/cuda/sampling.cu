// Token choice on the device, so that only token ids need to come back to the host.
//
// argmax_rows: greedy, the lowest id wins ties (as the CPU Sampler).
// sample_rows: temperature, top-k, top-p and a draw with a uniform number the host supplies per row.
//   Top-k keeps every token scoring at least the k-th highest score (ties included), as HF does. Top-p
//   keeps the tokens whose probability is at least a threshold, the highest threshold whose kept mass
//   reaches top_p (all tokens tied at the threshold stay in, where a sort would cut ties by index). The
//   draw walks the kept tokens in id order. The distribution is the CPU Sampler's; the token a given
//   uniform number maps to is not, since the CPU walks the kept tokens in score order.
// Thresholds are found by bisection over the 32-bit keys of the floats (order-preserving), 32 rounds of a
// block-wide count or sum each, so no sort and no scratch memory.
#include "common.cuh"

namespace {

constexpr int SAMPLE_THREADS = 256;

/** Maps a float to an unsigned key with the same order (NaN sorts above +inf; callers avoid NaN). */
__device__ __forceinline__ unsigned order_key(float f) {
  unsigned u = __float_as_uint(f);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

/** Block-wide (value, index) max with the lowest index among equal values. Every thread gets it. */
__device__ void block_argmax(float& v, int& idx) {
  __shared__ float s_v[32];
  __shared__ int s_i[32];
  int lane = threadIdx.x & 31;
  int warp = threadIdx.x >> 5;
  int warps = blockDim.x >> 5;
  for (int o = 16; o > 0; o >>= 1) {
    float ov = __shfl_xor_sync(lf::FULL_MASK, v, o);
    int oi = __shfl_xor_sync(lf::FULL_MASK, idx, o);
    if (ov > v || (ov == v && oi < idx)) {
      v = ov;
      idx = oi;
    }
  }
  __syncthreads();
  if (lane == 0) {
    s_v[warp] = v;
    s_i[warp] = idx;
  }
  __syncthreads();
  v = lane < warps ? s_v[lane] : lf::neg_inf();
  idx = lane < warps ? s_i[lane] : 0x7fffffff;
  for (int o = 16; o > 0; o >>= 1) {
    float ov = __shfl_xor_sync(lf::FULL_MASK, v, o);
    int oi = __shfl_xor_sync(lf::FULL_MASK, idx, o);
    if (ov > v || (ov == v && oi < idx)) {
      v = ov;
      idx = oi;
    }
  }
}

__device__ int row_argmax(const float* x, int vocab) {
  float best = lf::neg_inf();
  int best_i = 0x7fffffff;
  for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
    float v = x[i];
    if (v > best || (v == best && i < best_i)) {
      best = v;
      best_i = i;
    }
  }
  block_argmax(best, best_i);
  return best_i == 0x7fffffff ? 0 : best_i;
}

/** Number of tokens with key >= threshold. */
__device__ float count_at_least(const float* x, int vocab, unsigned threshold, float* scratch) {
  float c = 0.0f;
  for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
    c += order_key(x[i]) >= threshold ? 1.0f : 0.0f;
  }
  return lf::block_sum(c, scratch);
}

/** Probability mass (unnormalized) of tokens with key >= threshold. */
__device__ float mass_at_least(const float* x, int vocab, unsigned threshold, float max, float inv_t,
                               float* scratch) {
  float s = 0.0f;
  for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
    float v = x[i];
    if (order_key(v) >= threshold) {
      s += expf((v - max) * inv_t);
    }
  }
  return lf::block_sum(s, scratch);
}

}  // namespace

/** Grid (rows), block 256. out[r] = argmax of logits row r. */
LF_KERNEL void argmax_rows(const float* __restrict__ logits, int vocab, int* __restrict__ out) {
  int best = row_argmax(logits + (long long)blockIdx.x * vocab, vocab);
  if (threadIdx.x == 0) {
    out[blockIdx.x] = best;
  }
}
LF_EXPORT(argmax_rows)

/**
 * Grid (rows), block 256. Per row: temperature (<= 0: greedy), top_k (<= 0: off), top_p (>= 1: off) and a
 * uniform number in [0, 1).
 */
LF_KERNEL void sample_rows(const float* __restrict__ logits, int vocab, const float* __restrict__ temperature,
                           const int* __restrict__ top_k, const float* __restrict__ top_p,
                           const float* __restrict__ uniform, int* __restrict__ out) {
  __shared__ float scratch[32];
  __shared__ float s_chunk[SAMPLE_THREADS];
  const int r = blockIdx.x;
  const float* x = logits + (long long)r * vocab;
  const float temp = temperature[r];
  if (temp <= 0.0f) {
    int best = row_argmax(x, vocab);
    if (threadIdx.x == 0) {
      out[r] = best;
    }
    return;
  }
  const float inv_t = 1.0f / temp;

  // The largest threshold keeping at least k tokens is the k-th highest key.
  unsigned lo = 0;
  const int k = top_k[r];
  if (k > 0 && k < vocab) {
    unsigned long long a = 0;
    unsigned long long b = 0xffffffffull;
    while (a < b) {
      unsigned long long mid = a + (b - a + 1) / 2;
      if (count_at_least(x, vocab, (unsigned)mid, scratch) >= (float)k) {
        a = mid;
      } else {
        b = mid - 1;
      }
    }
    lo = (unsigned)a;
  }

  float mx = lf::neg_inf();
  for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
    mx = fmaxf(mx, x[i]);
  }
  mx = lf::block_max(mx, scratch);
  float total = mass_at_least(x, vocab, lo, mx, inv_t, scratch);

  // The highest threshold whose kept mass still reaches top_p of the top-k mass.
  const float p = top_p[r];
  if (p < 1.0f) {
    float want = p * total;
    unsigned long long a = lo;
    unsigned long long b = 0xffffffffull;
    while (a < b) {
      unsigned long long mid = a + (b - a + 1) / 2;
      if (mass_at_least(x, vocab, (unsigned)mid, mx, inv_t, scratch) >= want) {
        a = mid;
      } else {
        b = mid - 1;
      }
    }
    lo = (unsigned)a;
    total = mass_at_least(x, vocab, lo, mx, inv_t, scratch);
  }

  // Draw: each thread sums a contiguous run of ids; thread 0 skips whole runs, then walks token by token.
  const int per = (vocab + blockDim.x - 1) / blockDim.x;
  const int begin = min(vocab, (int)threadIdx.x * per);
  const int end = min(vocab, begin + per);
  float mine = 0.0f;
  for (int i = begin; i < end; ++i) {
    if (order_key(x[i]) >= lo) {
      mine += expf((x[i] - mx) * inv_t);
    }
  }
  s_chunk[threadIdx.x] = mine;
  __syncthreads();
  if (threadIdx.x == 0) {
    const float target = uniform[r] * total;
    float acc = 0.0f;
    int c = 0;
    for (; c + 1 < (int)blockDim.x; ++c) {
      if (acc + s_chunk[c] > target) {
        break;
      }
      acc += s_chunk[c];
    }
    int chosen = -1;
    for (int i = min(vocab, c * per); i < vocab; ++i) {
      if (order_key(x[i]) >= lo) {
        acc += expf((x[i] - mx) * inv_t);
        if (target < acc) {
          chosen = i;
          break;
        }
      }
    }
    // Rounding left the target past the last kept token: take the last kept token.
    for (int i = vocab - 1; chosen < 0 && i >= 0; --i) {
      if (order_key(x[i]) >= lo) {
        chosen = i;
      }
    }
    out[r] = chosen;
  }
}
LF_EXPORT(sample_rows)
