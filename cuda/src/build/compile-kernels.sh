#!/usr/bin/env bash
# Compiles cuda/src/main/cuda/*.cu with nvcc into class-path resources:
#   <name>.ptx (compute_80: JIT-compiled by the driver on any newer GPU), <name>.sm_80.cubin,
#   <name>.sm_90.cubin, and manifest.txt listing the modules and targets.
# Without nvcc it prints one line and leaves no manifest: the build goes on and the CUDA backend reports
# "kernels not built (nvcc missing at build time)". Up-to-date outputs are not rebuilt.
# Usage: compile-kernels.sh <cuda source dir> <output resource dir>
set -euo pipefail
src=$1
out=$2
mkdir -p "$out"

nvcc=${NVCC:-}
if [[ -z "$nvcc" ]]; then
  nvcc=$(command -v nvcc || true)
fi
if [[ -z "$nvcc" ]]; then
  for c in /usr/local/cuda/bin/nvcc /usr/local/cuda-*/bin/nvcc; do
    if [[ -x "$c" ]]; then nvcc=$c; break; fi
  done
fi
if [[ -z "$nvcc" ]]; then
  rm -f "$out/manifest.txt"
  echo "[lorafleet-cuda] nvcc not found (set NVCC or put it on PATH): kernels not built; the CUDA backend will report itself unavailable"
  exit 0
fi

flags=(-std=c++17 -O3 -lineinfo -I "$src")
targets="compute_80 sm_80 sm_90"
headers=("$src"/*.cuh)
version=$("$nvcc" --version | grep -o 'release [0-9.]*' | head -1 | cut -d' ' -f2)

newer_than() {  # true when any of the inputs is newer than $1 (or $1 is missing)
  local target=$1; shift
  [[ ! -e "$target" ]] && return 0
  for f in "$@"; do [[ "$f" -nt "$target" ]] && return 0; done
  return 1
}

pids=()
modules=()
for cu in "$src"/*.cu; do
  name=$(basename "$cu" .cu)
  modules+=("$name")
  if newer_than "$out/$name.ptx" "$cu" "${headers[@]}"; then
    "$nvcc" "${flags[@]}" -ptx -arch=compute_80 -o "$out/$name.ptx" "$cu" & pids+=($!)
  fi
  for sm in sm_80 sm_90; do
    if newer_than "$out/$name.$sm.cubin" "$cu" "${headers[@]}"; then
      "$nvcc" "${flags[@]}" -cubin -arch="$sm" -o "$out/$name.$sm.cubin" "$cu" & pids+=($!)
    fi
  done
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=1; done
if [[ $failed -ne 0 ]]; then
  rm -f "$out/manifest.txt"
  echo "[lorafleet-cuda] nvcc failed" >&2
  exit 1
fi
{
  echo "# LoraFleet CUDA kernels, built by nvcc $version"
  echo "nvcc $version"
  echo "targets $targets"
  for m in "${modules[@]}"; do echo "module $m"; done
} > "$out/manifest.txt"
echo "[lorafleet-cuda] kernels: ${#modules[@]} modules for $targets (nvcc $version, ${#pids[@]} compiled)"
