#!/usr/bin/env bash
# Compiles the kernels (cuda/src/main/cuda/*.cu) as C++ against the CPU emulator into a shared library
# the emulator tests load. Without a C++ compiler it prints one line and the emulator tests skip.
# Usage: compile-emulator.sh <cuda source dir> <emulator source dir> <output library>
set -euo pipefail
src=$1
emu=$2
lib=$3
cxx=${CXX:-$(command -v g++ || command -v c++ || true)}
if [[ -z "$cxx" ]]; then
  echo "[lorafleet-cuda] no C++ compiler: the CUDA emulator is not built and its tests will skip"
  exit 0
fi
if [[ "$(uname -m)" != "x86_64" ]]; then
  echo "[lorafleet-cuda] the CUDA emulator runs on x86-64 only: not built"
  exit 0
fi
mkdir -p "$(dirname "$lib")"
inputs=("$src"/*.cu "$src"/*.cuh "$emu"/*.h "$emu"/*.cpp)
if [[ -e "$lib" ]]; then
  stale=0
  for f in "${inputs[@]}"; do [[ "$f" -nt "$lib" ]] && stale=1; done
  if [[ $stale -eq 0 ]]; then exit 0; fi
fi
"$cxx" -std=c++17 -O2 -fno-strict-aliasing -fPIC -shared -DLF_EMULATE -Wall -Wno-unknown-pragmas -I "$emu" -I "$src" \
  -x c++ "$src"/*.cu "$emu"/emulator.cpp -o "$lib.tmp"
mv "$lib.tmp" "$lib"
echo "[lorafleet-cuda] CUDA emulator built: $lib"
