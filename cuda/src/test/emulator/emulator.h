// A CPU stand-in for the parts of CUDA the LoraFleet kernels use, so that the very same .cu sources
// compile with g++ into a shared library the tests drive through the Java FFM API (EmulatedGpu).
//
// Each CUDA thread is a fiber with its own stack; the blocks of a launch run one after the other on the
// calling thread. A fiber runs until it reaches __syncthreads or a warp shuffle, where it waits until
// every live thread of its block (or warp) has arrived, exactly the rendezvous the hardware makes; a
// launch whose threads can never all arrive is reported as a deadlock. __shared__ variables become
// function statics, which is right because only one block runs at a time. Atomics are trivially atomic.
// Not emulated: memory-model subtleties across blocks, timing, anything the kernels do not use.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
};
struct uint3 {
  unsigned x = 0, y = 0, z = 0;
};
// The 16-byte vector types the kernels load with (one 128-bit load on the device).
struct alignas(16) uint4 {
  unsigned x, y, z, w;
};
struct alignas(16) float4 {
  float x, y, z, w;
};

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __shared__ static
#define __launch_bounds__(...)

namespace lf_emu {

const uint3& thread_index();
extern uint3 block_index;
extern dim3 block_dimension;
extern dim3 grid_dimension;

void sync_threads();
/** Every lane of the calling warp offers {@code bits}; returns what lane {@code src} offered. */
unsigned long long exchange(unsigned long long bits, int src);
int lane();
void* dynamic_shared();

using Invoker = void (*)(void* fn, void** args);
void register_kernel(const char* name, void* fn, Invoker invoker, const std::string& signature);

template <class T>
constexpr char param_kind() {
  if constexpr (std::is_pointer_v<T>) {
    return 'p';
  } else if constexpr (std::is_same_v<T, int>) {
    return 'i';
  } else if constexpr (std::is_same_v<T, float>) {
    return 'f';
  } else if constexpr (std::is_same_v<T, long long>) {
    return 'l';
  } else {
    return '?';
  }
}

template <class... A, std::size_t... I>
void call_unpacked(void (*fn)(A...), void** args, std::index_sequence<I...>) {
  fn(*static_cast<std::remove_cv_t<A>*>(args[I])...);
}

template <class... A>
void invoke(void* fn, void** args) {
  call_unpacked(reinterpret_cast<void (*)(A...)>(fn), args, std::index_sequence_for<A...>{});
}

/** Registers a kernel under its name with a signature string: one of p, i, f, l per parameter. */
struct Registrar {
  template <class... A>
  Registrar(const char* name, void (*fn)(A...)) {
    std::string signature{param_kind<std::remove_cv_t<A>>()...};
    register_kernel(name, reinterpret_cast<void*>(fn), &invoke<A...>, signature);
  }
};

template <class T>
unsigned long long to_bits(T v) {
  static_assert(sizeof(T) <= 8, "shuffle of a value wider than 8 bytes");
  unsigned long long b = 0;
  std::memcpy(&b, &v, sizeof(T));
  return b;
}

template <class T>
T from_bits(unsigned long long b) {
  T v;
  std::memcpy(&v, &b, sizeof(T));
  return v;
}

}  // namespace lf_emu

#define threadIdx (lf_emu::thread_index())
#define blockIdx (lf_emu::block_index)
#define blockDim (lf_emu::block_dimension)
#define gridDim (lf_emu::grid_dimension)
#define __syncthreads() lf_emu::sync_threads()

inline float __uint_as_float(unsigned u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline unsigned __float_as_uint(float f) {
  unsigned u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline int min(int a, int b) {
  return a < b ? a : b;
}
inline int max(int a, int b) {
  return a > b ? a : b;
}
inline int __popc(unsigned v) {
  return __builtin_popcount(v);
}
using std::exp;
using std::log;
using std::fmax;

template <class T>
T __shfl_xor_sync(unsigned, T v, int lane_mask) {
  return lf_emu::from_bits<T>(lf_emu::exchange(lf_emu::to_bits(v), (lf_emu::lane() ^ lane_mask) & 31));
}
template <class T>
T __shfl_sync(unsigned, T v, int src_lane) {
  return lf_emu::from_bits<T>(lf_emu::exchange(lf_emu::to_bits(v), src_lane & 31));
}
template <class T>
T __shfl_down_sync(unsigned, T v, unsigned delta) {
  int src = lf_emu::lane() + (int)delta;
  T other = lf_emu::from_bits<T>(lf_emu::exchange(lf_emu::to_bits(v), src & 31));
  return src < 32 ? other : v;
}
