// Token choice on the device, so that only (token, logprob) pairs need to come back to the host.
//
// sample_tokens reproduces the engine's host Sampler (io.lorafleet.runtime.engine.Sampler) step by step:
//  - the chosen token's logprob is log-softmax of the raw logits, in double (max, then the sum of
//    exp(x - max), then max + log(sum)) and rounded to float at the end, as the host does;
//  - scores: the raw logits; tokens outside the row's allowed-token bitmask (constrained decoding) are
//    -infinity; then the repetition penalty on the row's distinct context tokens (x * p below 0, x / p
//    above), in float;
//  - temperature 0: the highest score, the lowest id among equal scores;
//  - otherwise, in double: top-k keeps every token scoring at least the k-th highest score (ties
//    included; only when k < the number of allowed tokens), probabilities exp(s / T - max) over them; top-p
//    keeps the smallest run, in descending score order (lower id first among equal scores), whose mass
//    reaches top_p of the total; then the host's uniform number u picks the first token at which the
//    running mass exceeds u * (kept mass), walking the kept tokens in descending score order when top-p
//    is on and in id order when it is off (the host's order in each case).
// The host walks sorted lists; here every "first token in descending order where the running mass passes
// m" is found by bisection over the 32-bit order keys of the scores (the largest key whose mass of keys at
// or above it passes m), then by a walk in id order over the tokens tied at that key. The sums are the
// same sums in another order, so the token matches the host's unless u lands within a few double ulps of
// a boundary between two tokens. Every reduction has a fixed order: the same inputs give the same bits.
#include "common.cuh"

namespace {

constexpr int SAMPLE_THREADS = 256;
constexpr int FLAG_ON_HOST = 1;

/** One row's parameters; layout written by io.lorafleet.cuda.SamplingInputs (48 bytes). */
struct SampleParams {
  double temperature;  // <= 0: greedy
  double top_p;        // >= 1: off
  double uniform;      // the host's uniform number in [0, 1) for this draw
  float penalty;       // 1: off
  int top_k;           // <= 0: off
  int penalty_start;   // the row's distinct context tokens: penalty_tokens[start .. start + count)
  int penalty_count;
  int mask_offset;     // first 32-bit word of the row's allowed-token bitmask in masks; -1: every token
  int flags;           // FLAG_ON_HOST: the host samples this row (its full logits go back)
};

/** Maps a float to an unsigned key with the same order; -0 and +0 get the same key (they compare equal). */
__device__ __forceinline__ unsigned order_key(float f) {
  unsigned u = __float_as_uint(f);
  if ((u & 0x7fffffffu) == 0) {
    u = 0;
  }
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

__device__ __forceinline__ bool allowed(const unsigned* mask, int i) {
  return mask == nullptr || ((mask[i >> 5] >> (i & 31)) & 1u) != 0;
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

/**
 * The sampling state of one row: scores s, candidate probabilities p, and which tokens are kept: allowed,
 * key >= lo (top-k), and key > cut_key or key == cut_key and id <= cut_id (top-p; everything while cut_key
 * is 0 and cut_id the last id).
 */
struct Row {
  const float* s;
  const double* p;
  int vocab;
  const unsigned* mask;
  unsigned lo;
  unsigned cut_key;
  int cut_id;
  double* scratch;       // 32 doubles for reductions
  double* chunk;         // SAMPLE_THREADS doubles
  int* found;            // one int in shared memory

  __device__ bool kept(int i, unsigned key) const {
    return allowed(mask, i) && key >= lo && (key > cut_key || (key == cut_key && i <= cut_id));
  }

  /** Mass of the kept tokens whose key is at least t. */
  __device__ double mass_at_least(unsigned t) const {
    double m = 0.0;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
      unsigned key = order_key(s[i]);
      if (key >= t && kept(i, key)) {
        m += p[i];
      }
    }
    return lf::block_sum_d(m, scratch);
  }

  /** The largest key t with mass_at_least(t) compared with m passing (> when strict, >= otherwise); 0 if none. */
  __device__ unsigned largest_key_passing(double m, bool strict) const {
    unsigned long long a = 0;
    unsigned long long b = 0xffffffffull;
    while (a < b) {
      unsigned long long mid = a + (b - a + 1) / 2;
      double at = mass_at_least((unsigned)mid);
      if (strict ? at > m : at >= m) {
        a = mid;
      } else {
        b = mid - 1;
      }
    }
    return (unsigned)a;
  }

  /**
   * Among the kept tokens with key == only (every kept token when all is set), walking in id order from a
   * running mass of base: the first id at which it passes m (> when strict, >= otherwise), or -1.
   */
  __device__ int first_passing(bool all, unsigned only, double base, double m, bool strict) const {
    const int per = (vocab + blockDim.x - 1) / blockDim.x;
    const int begin = min(vocab, (int)threadIdx.x * per);
    const int end = min(vocab, begin + per);
    double mine = 0.0;
    for (int i = begin; i < end; ++i) {
      unsigned key = order_key(s[i]);
      if ((all || key == only) && kept(i, key)) {
        mine += p[i];
      }
    }
    __syncthreads();
    chunk[threadIdx.x] = mine;
    __syncthreads();
    if (threadIdx.x == 0) {
      double acc = base;
      int c = 0;
      for (; c + 1 < (int)blockDim.x; ++c) {
        double next = acc + chunk[c];
        if (strict ? next > m : next >= m) {
          break;
        }
        acc = next;
      }
      int chosen = -1;
      for (int i = min(vocab, c * per); i < vocab && chosen < 0; ++i) {
        unsigned key = order_key(s[i]);
        if ((all || key == only) && kept(i, key)) {
          acc += p[i];
          if (strict ? acc > m : acc >= m) {
            chosen = i;
          }
        }
      }
      *found = chosen;
    }
    __syncthreads();
    return *found;
  }

  /** The highest id among the kept tokens with key == only (every kept token when all is set), or -1. */
  __device__ int last_kept(bool all, unsigned only) const {
    int best = -1;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
      unsigned key = order_key(s[i]);
      if ((all || key == only) && kept(i, key)) {
        best = max(best, i);
      }
    }
    float v = best < 0 ? lf::neg_inf() : 0.0f;
    int idx = best < 0 ? 0x7fffffff : -best;  // the lowest of -id: the highest id
    block_argmax(v, idx);
    return idx == 0x7fffffff ? -1 : -idx;
  }
};

}  // namespace

/**
 * Grid (rows), block 256. Row r of logits ([rows, vocab] float32) with params[r]; penalty_tokens holds
 * each row's distinct context tokens, masks the allowed-token bitmasks (bit id % 32 of word id / 32).
 * scores and probs are scratch rows ([rows, vocab] float32 and double). Writes out_token[r] and
 * out_logprob[r] (-1 and 0 for a row the host samples).
 */
LF_KERNEL void sample_tokens(const float* __restrict__ logits, int vocab, const SampleParams* __restrict__ params,
                             const int* __restrict__ penalty_tokens, const unsigned* __restrict__ masks,
                             float* __restrict__ scores, double* __restrict__ probs, int* __restrict__ out_token,
                             float* __restrict__ out_logprob) {
  __shared__ float f_scratch[32];
  __shared__ double d_scratch[32];
  __shared__ int i_scratch[32];
  __shared__ double s_chunk[SAMPLE_THREADS];
  __shared__ int s_found;
  const int r = blockIdx.x;
  const SampleParams P = params[r];
  if (P.flags & FLAG_ON_HOST) {
    if (threadIdx.x == 0) {
      out_token[r] = -1;
      out_logprob[r] = 0.0f;
    }
    return;
  }
  const float* x = logits + (long long)r * vocab;

  // log-softmax normalizer of the raw logits, in double as on the host.
  float mx = lf::neg_inf();
  for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
    mx = fmaxf(mx, x[i]);
  }
  mx = lf::block_max(mx, f_scratch);
  double z = 0.0;
  for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
    z += exp((double)x[i] - (double)mx);
  }
  const double log_z = (double)mx + log(lf::block_sum_d(z, d_scratch));

  // Scores: the mask, then the repetition penalty.
  const unsigned* mask = P.mask_offset >= 0 ? masks + P.mask_offset : nullptr;
  const float* s = x;
  if (mask != nullptr || P.penalty != 1.0f) {
    float* w = scores + (long long)r * vocab;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
      w[i] = allowed(mask, i) ? x[i] : lf::neg_inf();
    }
    __syncthreads();
    if (P.penalty != 1.0f) {
      for (int j = threadIdx.x; j < P.penalty_count; j += blockDim.x) {
        int t = penalty_tokens[P.penalty_start + j];
        if (t >= 0 && t < vocab) {
          float v = w[t];
          w[t] = v < 0.0f ? v * P.penalty : v / P.penalty;
        }
      }
      __syncthreads();
    }
    s = w;
  }

  int chosen;
  if (P.temperature <= 0.0) {
    float best = lf::neg_inf();
    int best_i = 0x7fffffff;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
      float v = s[i];
      if (allowed(mask, i) && (v > best || (v == best && i < best_i))) {
        best = v;
        best_i = i;
      }
    }
    block_argmax(best, best_i);
    chosen = best_i == 0x7fffffff ? 0 : best_i;
  } else {
    int n_allowed = vocab;
    if (mask != nullptr) {
      int c = 0;
      for (int wi = threadIdx.x; wi < (vocab + 31) / 32; wi += blockDim.x) {
        unsigned bits = mask[wi];
        if (wi == vocab / 32) {
          bits &= (1u << (vocab & 31)) - 1u;  // bits past the vocabulary
        }
        c += __popc(bits);
      }
      n_allowed = lf::block_sum_i(c, i_scratch);
    }
    // Top-k: the largest key that at least k allowed tokens reach is the k-th highest score.
    unsigned lo = 0;
    if (P.top_k > 0 && P.top_k < n_allowed) {
      unsigned long long a = 0;
      unsigned long long b = 0xffffffffull;
      while (a < b) {
        unsigned long long mid = a + (b - a + 1) / 2;
        int c = 0;
        for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
          c += allowed(mask, i) && order_key(s[i]) >= (unsigned)mid ? 1 : 0;
        }
        if (lf::block_sum_i(c, i_scratch) >= P.top_k) {
          a = mid;
        } else {
          b = mid - 1;
        }
      }
      lo = (unsigned)a;
    }
    // Probabilities of the candidates (allowed, key >= lo), in double.
    const double inv_t = 1.0 / P.temperature;
    float smax = lf::neg_inf();
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
      if (allowed(mask, i) && order_key(s[i]) >= lo) {
        smax = fmaxf(smax, s[i]);
      }
    }
    const double pmax = (double)lf::block_max(smax, f_scratch) * inv_t;
    double* p = probs + (long long)r * vocab;
    double total = 0.0;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
      double v = 0.0;
      if (allowed(mask, i) && order_key(s[i]) >= lo) {
        v = exp((double)s[i] * inv_t - pmax);
      }
      p[i] = v;
      total += v;
    }
    __syncthreads();
    total = lf::block_sum_d(total, d_scratch);

    Row row{s, p, vocab, mask, lo, 0u, vocab - 1, d_scratch, s_chunk, &s_found};
    double kept_mass = total;
    if (P.top_p < 1.0) {
      // The last kept token in descending order has the largest key whose mass reaches top_p * total; of
      // the tokens tied at that key, the lowest ids are kept until the mass reaches it.
      const double want = P.top_p * total;
      unsigned cut = row.largest_key_passing(want, false);
      double above = cut == 0xffffffffu ? 0.0 : row.mass_at_least(cut + 1);
      int cut_id = row.first_passing(false, cut, above, want, false);
      row.cut_key = cut;
      row.cut_id = cut_id < 0 ? vocab - 1 : cut_id;
      kept_mass = row.mass_at_least(0);
    }
    const double u = P.uniform * kept_mass;
    if (P.top_p < 1.0) {
      // Descending order: the key where the running mass first exceeds u, then its tied tokens in id order.
      unsigned at = row.largest_key_passing(u, true);
      double above = at == 0xffffffffu ? 0.0 : row.mass_at_least(at + 1);
      chosen = row.mass_at_least(at) > u ? row.first_passing(false, at, above, u, true) : -1;
      if (chosen < 0) {
        // Rounding left u past the last kept token: the host takes the last kept one in its order.
        chosen = row.last_kept(false, row.cut_key);
      }
    } else {
      chosen = row.first_passing(true, 0u, 0.0, u, true);
      if (chosen < 0) {
        chosen = row.last_kept(true, 0u);
      }
    }
    if (chosen < 0) {
      chosen = 0;
    }
  }
  if (threadIdx.x == 0) {
    out_token[r] = chosen;
    out_logprob[r] = (float)((double)x[chosen] - log_z);
  }
}
LF_EXPORT(sample_tokens)
