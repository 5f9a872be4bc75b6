// Batched LoRA for rows that each may use a different adapter (S-LoRA / Punica style).
//
// An adapter lives in device pool pages (io.lorafleet.cuda.AdapterLayout writes it):
//  - a root table: u64 module descriptor address per (layer, target), target = q,k,v,o,gate,up,down
//    (0 where the adapter does not change that projection);
//  - a module descriptor: LoraModuleDesc, then rank addresses of the rows of A ([in] each) and rank
//    addresses of the rows of B^T ([out] each), so a module's rank rows need not be contiguous;
//  - the rows themselves, float32 or bf16 (dtype), never split across pages.
//
// Work items: runs of at most LORA_ITEM_ROWS consecutive rows that share an adapter (a segment of the
// batch, cut into pieces); an item whose root is 0 is empty (the fixed grids of a captured decode step
// have more items than the step uses). One launch handles up to three targets of a layer that read the
// same input (q/k/v, gate/up), one per grid y. Each item reads its own module's rank, so adapters of
// different ranks share a launch without padding to the largest.
//  shrink: t[r, ti, k] = scaling * (A_k . x[r])           (x is split bf16: [2 rows, in])
//  expand: y[r, col + o] += sum_k t[r, ti, k] * B^T_k[o]   (into the hi half of a product output)
// Both read weights 16 bytes per lane (8 bf16 or 2 x 4 float32; rows are 128-byte aligned). The shrink
// stages the item's input rows once per chunk of in_dim in shared memory and gives each warp one rank row
// at a time, its lanes splitting in_dim (Punica's BGMV shrink); the grid's z splits the rank rows over
// blocks, so one row with one adapter still spreads over many SMs. The expand gives each thread 8
// consecutive outputs of every row of the item.
#include "common.cuh"

namespace {

constexpr int LORA_ITEM_ROWS = 4;
constexpr int LORA_MAX_RANK = 256;
constexpr int LORA_CHUNK = 2048;  // input columns staged in shared memory at once
constexpr int NUM_TARGETS = 7;

struct LoraModuleDesc {
  int rank;
  float scaling;
  int dtype;  // 0: float32, 1: bf16
  int in_features;
  int out_features;
  int reserved[3];
};

__device__ __forceinline__ const LoraModuleDesc* module_desc(u64 root, int layer, int target) {
  if (root == 0 || target < 0) {
    return nullptr;
  }
  const u64* table = reinterpret_cast<const u64*>(root);
  return reinterpret_cast<const LoraModuleDesc*>(table[layer * NUM_TARGETS + target]);
}

__device__ __forceinline__ float load_weight(u64 base, int dtype, int i) {
  return dtype == 0 ? reinterpret_cast<const float*>(base)[i]
                    : lf::bf16_to_float(reinterpret_cast<const bf16_t*>(base)[i]);
}

/** Weights i .. i + 7 of a row: one 16-byte load (bf16) or two (float32). */
__device__ __forceinline__ void load_weights8(u64 base, int dtype, int i, float* w) {
  if (dtype == 0) {
    lf::load8(reinterpret_cast<const float*>(base) + i, w);
  } else {
    lf::load8(reinterpret_cast<const bf16_t*>(base) + i, w);
  }
}

__device__ __forceinline__ int pick(int ti, int a, int b, int c) {
  return ti == 0 ? a : (ti == 1 ? b : c);
}

}  // namespace

/**
 * Grid (items, targets in this launch, rank splits), block 256. t is [rows, 3, t_stride] float32
 * (t_stride >= every rank).
 */
LF_KERNEL void lora_shrink(const bf16_t* __restrict__ x, int rows, int in_dim, float* __restrict__ t, int t_stride,
                           const int* __restrict__ item_row, const int* __restrict__ item_count,
                           const u64* __restrict__ item_root, int layer, int target0, int target1, int target2) {
  __shared__ float s_x[LORA_ITEM_ROWS][LORA_CHUNK];
  const int item = blockIdx.x;
  const int ti = blockIdx.y;
  const LoraModuleDesc* desc = module_desc(item_root[item], layer, pick(ti, target0, target1, target2));
  if (desc == nullptr) {
    return;
  }
  const int rank = desc->rank;
  const int dtype = desc->dtype;
  const float scaling = desc->scaling;
  const u64* a_rows = reinterpret_cast<const u64*>(desc + 1);
  const int r0 = item_row[item];
  const int n = item_count[item];
  const int lane = threadIdx.x & 31;
  const int warps = blockDim.x >> 5;
  const int per_round = gridDim.z * warps;  // rank rows of this item and target in flight at once
  const int rounds = (rank + per_round - 1) / per_round;
  const bf16_t* lo = x + (long long)rows * in_dim;
  const bool vector = (in_dim & 7) == 0;
  for (int round = 0; round < rounds; ++round) {
    const int k = round * per_round + blockIdx.z * warps + (threadIdx.x >> 5);
    const u64 a = k < rank ? a_rows[k] : 0;
    float acc[LORA_ITEM_ROWS];
#pragma unroll
    for (int j = 0; j < LORA_ITEM_ROWS; ++j) {
      acc[j] = 0.0f;
    }
    for (int c0 = 0; c0 < in_dim; c0 += LORA_CHUNK) {
      const int cn = min(LORA_CHUNK, in_dim - c0);
      __syncthreads();
      for (int idx = threadIdx.x; idx < n * cn; idx += blockDim.x) {
        int j = idx / cn;
        int c = idx % cn;
        s_x[j][c] = lf::load_split(x, lo, (long long)(r0 + j) * in_dim + c0 + c);
      }
      __syncthreads();
      if (k < rank) {
        if (vector) {
          for (int c = lane * 8; c < cn; c += 256) {
            float w[8];
            load_weights8(a, dtype, c0 + c, w);
#pragma unroll
            for (int j = 0; j < LORA_ITEM_ROWS; ++j) {
              if (j < n) {
#pragma unroll
                for (int e = 0; e < 8; ++e) {
                  acc[j] += w[e] * s_x[j][c + e];
                }
              }
            }
          }
        } else {
          for (int c = lane; c < cn; c += 32) {
            float w = load_weight(a, dtype, c0 + c);
#pragma unroll
            for (int j = 0; j < LORA_ITEM_ROWS; ++j) {
              if (j < n) {
                acc[j] += w * s_x[j][c];
              }
            }
          }
        }
      }
    }
    if (k < rank) {
#pragma unroll
      for (int j = 0; j < LORA_ITEM_ROWS; ++j) {
        if (j < n) {
          float s = lf::warp_sum(acc[j]);
          if (lane == 0) {
            t[((long long)(r0 + j) * 3 + ti) * t_stride + k] = s * scaling;
          }
        }
      }
    }
  }
}
LF_EXPORT(lora_shrink)

/**
 * Grid (items, targets in this launch, ceil(max out features / (8 blockDim))), block 128. y has row stride
 * ldy; target ti writes columns [col_ti, col_ti + out_ti).
 */
LF_KERNEL void lora_expand(float* __restrict__ y, int ldy, const float* __restrict__ t, int t_stride,
                           const int* __restrict__ item_row, const int* __restrict__ item_count,
                           const u64* __restrict__ item_root, int layer, int target0, int target1, int target2,
                           int col0, int col1, int col2) {
  __shared__ float s_t[LORA_ITEM_ROWS][LORA_MAX_RANK];
  const int item = blockIdx.x;
  const int ti = blockIdx.y;
  const LoraModuleDesc* desc = module_desc(item_root[item], layer, pick(ti, target0, target1, target2));
  if (desc == nullptr) {
    return;
  }
  const int rank = desc->rank;
  const int dtype = desc->dtype;
  const int out_dim = desc->out_features;
  const u64* bt_rows = reinterpret_cast<const u64*>(desc + 1) + rank;
  const int r0 = item_row[item];
  const int n = item_count[item];
  for (int idx = threadIdx.x; idx < n * rank; idx += blockDim.x) {
    int j = idx / rank;
    int k = idx % rank;
    s_t[j][k] = t[((long long)(r0 + j) * 3 + ti) * t_stride + k];
  }
  __syncthreads();
  const int o0 = (blockIdx.z * blockDim.x + threadIdx.x) * 8;
  if (o0 >= out_dim) {
    return;
  }
  const bool vector = o0 + 8 <= out_dim && (out_dim & 7) == 0;
  float acc[LORA_ITEM_ROWS][8];
#pragma unroll
  for (int j = 0; j < LORA_ITEM_ROWS; ++j) {
#pragma unroll
    for (int e = 0; e < 8; ++e) {
      acc[j][e] = 0.0f;
    }
  }
  for (int k = 0; k < rank; ++k) {
    float w[8];
    if (vector) {
      load_weights8(bt_rows[k], dtype, o0, w);
    } else {
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        w[e] = o0 + e < out_dim ? load_weight(bt_rows[k], dtype, o0 + e) : 0.0f;
      }
    }
#pragma unroll
    for (int j = 0; j < LORA_ITEM_ROWS; ++j) {
      if (j < n) {
        float tk = s_t[j][k];
#pragma unroll
        for (int e = 0; e < 8; ++e) {
          acc[j][e] += tk * w[e];
        }
      }
    }
  }
  const int col = pick(ti, col0, col1, col2);
#pragma unroll
  for (int j = 0; j < LORA_ITEM_ROWS; ++j) {
    if (j < n) {
      float* yr = y + (long long)(r0 + j) * ldy + col;
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        if (o0 + e < out_dim) {
          yr[o0 + e] += acc[j][e];
        }
      }
    }
  }
}
LF_EXPORT(lora_expand)
