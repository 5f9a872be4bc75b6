// Shared definitions for the LoraFleet kernels.
//
// Every kernel is `extern "C"` so that its PTX entry name is the plain function name the Java side
// launches (io.lorafleet.cuda.Kernels). The same sources also compile as ordinary C++ against the CPU
// emulator (cuda/src/test/emulator) when LF_EMULATE is defined; LF_EXPORT registers a kernel there and
// expands to nothing for nvcc.
//
// Conventions shared by all kernels:
//  - activations are float32; the inputs of the big matrix products are "split bf16": a float x is
//    stored as hi = bf16(x) and lo = bf16(x - hi), the hi rows of a [rows, dim] matrix first and the lo
//    rows after them (element (r, i) of lo at (rows + r) * dim + i). A product over both halves keeps
//    ~16 significant bits, which is what parity with the float32 CPU backend needs.
//  - products write [2 * rows, n] float32 (hi rows, then lo rows); consumers add the two halves.
//  - block sizes are multiples of 32 and no thread leaves a kernel before a __syncthreads it shares.
#pragma once

#ifdef LF_EMULATE
#include "emulator.h"
#define LF_EXPORT(fn) static lf_emu::Registrar lf_registrar_##fn(#fn, fn);
#else
#define LF_EXPORT(fn)
#endif

#define LF_KERNEL extern "C" __global__

typedef unsigned short bf16_t;
typedef unsigned long long u64;

namespace lf {

constexpr unsigned FULL_MASK = 0xffffffffu;
constexpr int WARP = 32;

__device__ __forceinline__ float neg_inf() {
  return __uint_as_float(0xff800000u);
}

/** bf16 bits to float: exact. */
__device__ __forceinline__ float bf16_to_float(bf16_t b) {
  return __uint_as_float(((unsigned)b) << 16);
}

/** float to bf16 bits, round to nearest even; NaN stays NaN. */
__device__ __forceinline__ bf16_t float_to_bf16(float f) {
  unsigned u = __float_as_uint(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) {
    return (bf16_t)((u >> 16) | 0x40u);
  }
  u += 0x7fffu + ((u >> 16) & 1u);
  return (bf16_t)(u >> 16);
}

/** Writes x as split bf16: hi at hi[i], lo at lo[i]. */
__device__ __forceinline__ void store_split(bf16_t* hi, bf16_t* lo, long long i, float x) {
  bf16_t h = float_to_bf16(x);
  hi[i] = h;
  lo[i] = float_to_bf16(x - bf16_to_float(h));
}

/** Reads a split bf16 value back as float. */
__device__ __forceinline__ float load_split(const bf16_t* hi, const bf16_t* lo, long long i) {
  return bf16_to_float(hi[i]) + bf16_to_float(lo[i]);
}

/** Element i of a float32 product output, its hi and lo halves added (lo_offset 0: no lo half). */
__device__ __forceinline__ float load_sum(const float* y, long long i, long long lo_offset) {
  return lo_offset != 0 ? y[i] + y[i + lo_offset] : y[i];
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) {
    v += __shfl_xor_sync(FULL_MASK, v, o);
  }
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) {
    v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, o));
  }
  return v;
}

/** 8 bf16 values at p (16-byte aligned), widened to float: one 16-byte load. */
__device__ __forceinline__ void load8(const bf16_t* p, float* out) {
  uint4 v = *reinterpret_cast<const uint4*>(p);
  unsigned w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    out[2 * i] = __uint_as_float(w[i] << 16);
    out[2 * i + 1] = __uint_as_float(w[i] & 0xffff0000u);
  }
}

/** 8 floats at p (16-byte aligned): two 16-byte loads. */
__device__ __forceinline__ void load8(const float* p, float* out) {
  float4 a = *reinterpret_cast<const float4*>(p);
  float4 b = *reinterpret_cast<const float4*>(p + 4);
  out[0] = a.x;
  out[1] = a.y;
  out[2] = a.z;
  out[3] = a.w;
  out[4] = b.x;
  out[5] = b.y;
  out[6] = b.z;
  out[7] = b.w;
}

__device__ __forceinline__ double warp_sum_d(double v) {
  for (int o = 16; o > 0; o >>= 1) {
    v += __shfl_xor_sync(FULL_MASK, v, o);
  }
  return v;
}

__device__ __forceinline__ double warp_max_d(double v) {
  for (int o = 16; o > 0; o >>= 1) {
    v = fmax(v, __shfl_xor_sync(FULL_MASK, v, o));
  }
  return v;
}

/** Sum over the block in double, in a fixed order (so the same inputs give the same bits); every thread gets it. */
__device__ __forceinline__ double block_sum_d(double v, double* scratch) {
  int lane = threadIdx.x & 31;
  int warp = threadIdx.x >> 5;
  int warps = blockDim.x >> 5;
  v = warp_sum_d(v);
  __syncthreads();
  if (lane == 0) {
    scratch[warp] = v;
  }
  __syncthreads();
  double t = lane < warps ? scratch[lane] : 0.0;
  return warp_sum_d(t);
}

/** Sum of ints over the block; every thread gets it. {@code scratch} holds 32 ints. */
__device__ __forceinline__ int block_sum_i(int v, int* scratch) {
  int lane = threadIdx.x & 31;
  int warp = threadIdx.x >> 5;
  int warps = blockDim.x >> 5;
  for (int o = 16; o > 0; o >>= 1) {
    v += __shfl_xor_sync(FULL_MASK, v, o);
  }
  __syncthreads();
  if (lane == 0) {
    scratch[warp] = v;
  }
  __syncthreads();
  int t = lane < warps ? scratch[lane] : 0;
  for (int o = 16; o > 0; o >>= 1) {
    t += __shfl_xor_sync(FULL_MASK, t, o);
  }
  return t;
}

/** Sum over the block; every thread gets the result. {@code scratch} holds 32 floats. */
__device__ __forceinline__ float block_sum(float v, float* scratch) {
  int lane = threadIdx.x & 31;
  int warp = threadIdx.x >> 5;
  int warps = blockDim.x >> 5;
  v = warp_sum(v);
  __syncthreads();
  if (lane == 0) {
    scratch[warp] = v;
  }
  __syncthreads();
  float t = lane < warps ? scratch[lane] : 0.0f;
  return warp_sum(t);
}

/** Max over the block; every thread gets the result. {@code scratch} holds 32 floats. */
__device__ __forceinline__ float block_max(float v, float* scratch) {
  int lane = threadIdx.x & 31;
  int warp = threadIdx.x >> 5;
  int warps = blockDim.x >> 5;
  v = warp_max(v);
  __syncthreads();
  if (lane == 0) {
    scratch[warp] = v;
  }
  __syncthreads();
  float t = lane < warps ? scratch[lane] : neg_inf();
  return warp_max(t);
}

}  // namespace lf
