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
// batch, cut into pieces). One launch handles up to three targets of a layer that read the same input
// (q/k/v, gate/up), one per grid y.
//  shrink: t[r, ti, k] = scaling * (A_k . x[r])           (x is split bf16: [2 rows, in])
//  expand: y[r, col + o] += sum_k t[r, ti, k] * B^T_k[o]   (into the hi half of a product output)
// For a decode batch every segment is short and each item is a BGMV; prefill segments give SGMV tiles.
#include "common.cuh"

namespace {

constexpr int LORA_ITEM_ROWS = 8;
constexpr int LORA_MAX_RANK = 256;
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
  const u64* table = reinterpret_cast<const u64*>(root);
  return reinterpret_cast<const LoraModuleDesc*>(table[layer * NUM_TARGETS + target]);
}

__device__ __forceinline__ float load_weight(u64 base, int dtype, int i) {
  return dtype == 0 ? reinterpret_cast<const float*>(base)[i]
                    : lf::bf16_to_float(reinterpret_cast<const bf16_t*>(base)[i]);
}

__device__ __forceinline__ int pick(int ti, int a, int b, int c) {
  return ti == 0 ? a : (ti == 1 ? b : c);
}

}  // namespace

/**
 * Grid (items, targets in this launch), block 128. t is [rows, 3, max_rank] float32.
 */
LF_KERNEL void lora_shrink(const bf16_t* __restrict__ x, int rows, int in_dim, float* __restrict__ t, int max_rank,
                           const int* __restrict__ item_row, const int* __restrict__ item_count,
                           const u64* __restrict__ item_root, int layer, int target0, int target1, int target2) {
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
  const bf16_t* lo = x + (long long)rows * in_dim;
  for (int k = threadIdx.x >> 5; k < rank; k += warps) {
    u64 a = a_rows[k];
    float acc[LORA_ITEM_ROWS];
#pragma unroll
    for (int j = 0; j < LORA_ITEM_ROWS; ++j) {
      acc[j] = 0.0f;
    }
    for (int i = lane; i < in_dim; i += 32) {
      float w = load_weight(a, dtype, i);
#pragma unroll
      for (int j = 0; j < LORA_ITEM_ROWS; ++j) {
        if (j < n) {
          long long at = (long long)(r0 + j) * in_dim + i;
          acc[j] += w * lf::load_split(x, lo, at);
        }
      }
    }
#pragma unroll
    for (int j = 0; j < LORA_ITEM_ROWS; ++j) {
      if (j < n) {
        float s = lf::warp_sum(acc[j]);
        if (lane == 0) {
          t[((long long)(r0 + j) * 3 + ti) * max_rank + k] = s * scaling;
        }
      }
    }
  }
}
LF_EXPORT(lora_shrink)

/**
 * Grid (items, targets in this launch, ceil(max out features / blockDim)), block 128 or 256.
 * y has row stride ldy; target ti writes columns [col_ti, col_ti + out_ti).
 */
LF_KERNEL void lora_expand(float* __restrict__ y, int ldy, const float* __restrict__ t, int max_rank,
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
    s_t[j][k] = t[((long long)(r0 + j) * 3 + ti) * max_rank + k];
  }
  __syncthreads();
  const int o = blockIdx.z * blockDim.x + threadIdx.x;
  if (o >= out_dim) {
    return;
  }
  float acc[LORA_ITEM_ROWS];
#pragma unroll
  for (int j = 0; j < LORA_ITEM_ROWS; ++j) {
    acc[j] = 0.0f;
  }
  for (int k = 0; k < rank; ++k) {
    float w = load_weight(bt_rows[k], dtype, o);
#pragma unroll
    for (int j = 0; j < LORA_ITEM_ROWS; ++j) {
      acc[j] += s_t[j][k] * w;
    }
  }
  const int col = pick(ti, col0, col1, col2);
  for (int j = 0; j < n; ++j) {
    y[(long long)(r0 + j) * ldy + col + o] += acc[j];
  }
}
LF_EXPORT(lora_expand)
