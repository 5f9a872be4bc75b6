// Fiber scheduler, kernel registry and the C entry points of the CUDA emulator (see emulator.h).
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "emulator.h"

namespace lf_emu {
namespace {

struct Kernel {
  void* fn;
  Invoker invoker;
  std::string signature;
};

std::map<std::string, Kernel>& registry() {
  static std::map<std::string, Kernel> kernels;
  return kernels;
}

struct Fiber {
  void* sp = nullptr;
  uint3 tid;
  int lane = 0;
  int warp = 0;
  bool done = false;
  char* stack = nullptr;
};

struct Barrier {
  int arrived = 0;
  unsigned generation = 0;
};

constexpr std::size_t STACK_BYTES = 128 * 1024;

std::mutex launch_lock;
std::vector<Fiber> fibers;
Fiber* current = nullptr;
void* scheduler_sp = nullptr;
Kernel* running = nullptr;
void** running_args = nullptr;
Barrier block_barrier;
int block_live = 0;
std::vector<Barrier> warp_barriers;
std::vector<int> warp_live;
std::vector<unsigned long long> warp_slots;
unsigned long long progress = 0;
std::vector<unsigned char> shared_bytes;

}  // namespace

uint3 block_index;
dim3 block_dimension;
dim3 grid_dimension;

}  // namespace lf_emu

// Saves the callee-saved registers and the float control words of the running context on its stack,
// stores its stack pointer in *save_sp and resumes the context whose stack pointer is load_sp.
extern "C" void lf_emu_switch(void** save_sp, void* load_sp);
#if defined(__x86_64__)
asm(R"(
.text
.globl lf_emu_switch
.type lf_emu_switch,@function
lf_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
.size lf_emu_switch, .-lf_emu_switch
)");
#else
#error "the CUDA emulator's context switch is written for x86-64"
#endif

namespace lf_emu {
namespace {

void yield() {
  lf_emu_switch(&current->sp, scheduler_sp);
}

void release_if_complete(Barrier& b, int live) {
  if (b.arrived > 0 && b.arrived >= live) {
    b.arrived = 0;
    b.generation++;
    progress++;
  }
}

void wait(Barrier& b, int live) {
  unsigned g = b.generation;
  b.arrived++;
  progress++;
  release_if_complete(b, live);
  while (b.generation == g) {
    yield();
  }
}

void sync_warp() {
  wait(warp_barriers[current->warp], warp_live[current->warp]);
}

[[noreturn]] void fiber_main() {
  running->invoker(running->fn, running_args);
  Fiber* f = current;
  f->done = true;
  block_live--;
  warp_live[f->warp]--;
  progress++;
  release_if_complete(block_barrier, block_live);
  release_if_complete(warp_barriers[f->warp], warp_live[f->warp]);
  lf_emu_switch(&f->sp, scheduler_sp);
  std::abort();  // a finished fiber is never resumed
}

void prepare(Fiber& f) {
  if (f.stack == nullptr) {
    f.stack = static_cast<char*>(std::malloc(STACK_BYTES));
    if (f.stack == nullptr) {
      std::abort();
    }
  }
  auto top = reinterpret_cast<std::uintptr_t>(f.stack + STACK_BYTES) & ~static_cast<std::uintptr_t>(15);
  auto* sp = reinterpret_cast<unsigned long long*>(top - 72);
  // Layout lf_emu_switch restores: control words, r15, r14, r13, r12, rbx, rbp, return address.
  sp[0] = 0x1F80ull | (0x037Full << 32);
  for (int i = 1; i <= 6; ++i) {
    sp[i] = 0;
  }
  sp[7] = reinterpret_cast<unsigned long long>(&fiber_main);
  sp[8] = 0;
  f.sp = sp;
  f.done = false;
}

/** Runs one block to completion; false on deadlock. */
bool run_block(int threads) {
  if ((int)fibers.size() < threads) {
    fibers.resize(threads);
  }
  int warps = (threads + 31) / 32;
  warp_barriers.assign(warps, Barrier{});
  warp_live.assign(warps, 0);
  warp_slots.assign((std::size_t)warps * 32, 0);
  block_barrier = Barrier{};
  block_live = threads;
  for (int i = 0; i < threads; ++i) {
    Fiber& f = fibers[i];
    f.tid.x = i % block_dimension.x;
    f.tid.y = (i / block_dimension.x) % block_dimension.y;
    f.tid.z = i / (block_dimension.x * block_dimension.y);
    f.lane = i % 32;
    f.warp = i / 32;
    warp_live[f.warp]++;
    prepare(f);
  }
  int remaining = threads;
  while (remaining > 0) {
    unsigned long long before = progress;
    for (int i = 0; i < threads; ++i) {
      Fiber& f = fibers[i];
      if (f.done) {
        continue;
      }
      current = &f;
      lf_emu_switch(&scheduler_sp, f.sp);
      if (f.done) {
        remaining--;
      }
    }
    if (remaining > 0 && progress == before) {
      return false;
    }
  }
  current = nullptr;
  return true;
}

}  // namespace

const uint3& thread_index() {
  return current->tid;
}

int lane() {
  return current->lane;
}

void sync_threads() {
  wait(block_barrier, block_live);
}

unsigned long long exchange(unsigned long long bits, int src) {
  unsigned long long* slots = &warp_slots[(std::size_t)current->warp * 32];
  slots[current->lane] = bits;
  sync_warp();
  unsigned long long r = slots[src];
  sync_warp();
  return r;
}

void* dynamic_shared() {
  return shared_bytes.data();
}

void register_kernel(const char* name, void* fn, Invoker invoker, const std::string& signature) {
  registry()[name] = Kernel{fn, invoker, signature};
}

}  // namespace lf_emu

extern "C" {

/** Number of registered kernels. */
int lf_emu_kernel_count() {
  return (int)lf_emu::registry().size();
}

/** Name of kernel i (registry order), or null. */
const char* lf_emu_kernel_name(int i) {
  int k = 0;
  for (auto& e : lf_emu::registry()) {
    if (k++ == i) {
      return e.first.c_str();
    }
  }
  return nullptr;
}

/** Parameter kinds of a kernel (p pointer, i int, f float, l long long), or null if unknown. */
const char* lf_emu_signature(const char* name) {
  auto it = lf_emu::registry().find(name);
  return it == lf_emu::registry().end() ? nullptr : it->second.signature.c_str();
}

/**
 * Runs a kernel to completion. args has one pointer per parameter, to the value (cuLaunchKernel's
 * kernelParams). Returns 0, or -1 with a message in error (unknown kernel, wrong arity, deadlock).
 */
int lf_emu_launch(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                  unsigned shared_bytes, void** args, int nargs, char* error, int error_len) {
  std::lock_guard<std::mutex> guard(lf_emu::launch_lock);
  auto it = lf_emu::registry().find(name);
  if (it == lf_emu::registry().end()) {
    std::snprintf(error, error_len, "no kernel named %s", name);
    return -1;
  }
  if ((int)it->second.signature.size() != nargs) {
    std::snprintf(error, error_len, "kernel %s takes %d arguments (%s), got %d", name,
                  (int)it->second.signature.size(), it->second.signature.c_str(), nargs);
    return -1;
  }
  int threads = (int)(bx * by * bz);
  if (threads <= 0 || threads > 1024) {
    std::snprintf(error, error_len, "kernel %s: block of %d threads", name, threads);
    return -1;
  }
  lf_emu::running = &it->second;
  lf_emu::running_args = args;
  lf_emu::grid_dimension = dim3{gx, gy, gz};
  lf_emu::block_dimension = dim3{bx, by, bz};
  lf_emu::shared_bytes.assign(shared_bytes, 0);
  for (unsigned z = 0; z < gz; ++z) {
    for (unsigned y = 0; y < gy; ++y) {
      for (unsigned x = 0; x < gx; ++x) {
        lf_emu::block_index = uint3{x, y, z};
        if (!lf_emu::run_block(threads)) {
          std::snprintf(error, error_len, "kernel %s deadlocked in block (%u, %u, %u): threads wait at barriers "
                        "that the others never reach", name, x, y, z);
          return -1;
        }
      }
    }
  }
  return 0;
}

}  // extern "C"
