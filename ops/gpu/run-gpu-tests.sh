#!/usr/bin/env bash
# Runs LoraFleet's GPU test suite (JUnit tag "gpu") on a machine with an NVIDIA GPU and no Java: unpacks
# the JRE from .device/ (made by ops/gpu/bundle.sh), finds cuBLAS, and runs the JUnit console launcher
# over the cuda module's test classes. Prints the test tree and a summary; exit status 0 when all passed.
# Extra arguments go to the launcher (e.g. --include-tag emulator also runs the CPU-emulator checks, which is
# how the bundle itself is tested on the build machine).
# Results also go to $OUT/junit (XML) when OUT is set.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bundle=${LORAFLEET_BUNDLE:-$root/.device}
if [[ ! -f "$bundle/jre.tar.xz" ]]; then
  echo "no bundle in $bundle: run ops/gpu/bundle.sh on the build machine and carry .device along" >&2
  exit 2
fi
cat "$bundle/BUNDLE.txt" 2>/dev/null || true

# The JRE, unpacked once per bundle.
stamp=$(cksum < "$bundle/jre.tar.xz" | cut -d' ' -f1)
jre_dir=${TMPDIR:-/tmp}/lorafleet-jre-$stamp
if [[ ! -x "$jre_dir/jre/bin/java" ]]; then
  rm -rf "$jre_dir.tmp" && mkdir -p "$jre_dir.tmp"
  if command -v xz >/dev/null; then
    tar -C "$jre_dir.tmp" -xJf "$bundle/jre.tar.xz"
  else
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' \
      "$bundle/jre.tar.xz" "$jre_dir.tmp"
  fi
  rm -rf "$jre_dir" && mv "$jre_dir.tmp" "$jre_dir"
fi
java=$jre_dir/jre/bin/java
"$java" -version 2>&1 | head -1

echo "== device"
nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv,noheader 2>/dev/null \
  || echo "(nvidia-smi not available)"

# cuBLAS: an explicit LORAFLEET_CUBLAS wins; else the loader's path, the CUDA toolkit, or the NVIDIA wheels
# of a Python torch install (the backend searches those too; this only makes the choice visible).
if [[ -z "${LORAFLEET_CUBLAS:-}" ]]; then
  found=$( (ldconfig -p 2>/dev/null | grep -oE '/[^ ]*libcublas\.so\.1[23]$' | head -1) || true)
  if [[ -z "$found" ]] && command -v python3 >/dev/null; then
    found=$(python3 - <<'PY' 2>/dev/null || true
import glob, os, site, sys
roots = site.getsitepackages() + [site.getusersitepackages()]
for r in roots:
    for p in sorted(glob.glob(os.path.join(r, "nvidia", "*", "lib", "libcublas.so.1[23]")), reverse=True):
        print(p); sys.exit(0)
PY
)
  fi
  if [[ -n "$found" ]]; then
    export LORAFLEET_CUBLAS=$found
  fi
fi
echo "cuBLAS: ${LORAFLEET_CUBLAS:-not found (products run on the fallback kernel)}"

# On a machine with an NVIDIA driver a missing device fails the tests instead of skipping them.
if [[ -z "${LORAFLEET_REQUIRE_GPU:-}" ]]; then
  LORAFLEET_REQUIRE_GPU=false
  if [[ -e /dev/nvidiactl ]] || nvidia-smi -L >/dev/null 2>&1; then LORAFLEET_REQUIRE_GPU=true; fi
fi
echo "GPU required: $LORAFLEET_REQUIRE_GPU"

fixtures=$bundle/fixtures
[[ -f "$fixtures/reference.json" ]] || fixtures=$root/fixtures
cp=$(ls "$bundle"/tests/lorafleet-cuda-tests.jar "$bundle"/lib/*.jar | tr '\n' ':')
reports=()
if [[ -n "${OUT:-}" ]]; then
  reports=(--reports-dir "$OUT/junit")
fi

echo "== GPU tests"
exec "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xss4m \
  -Dlorafleet.requireGpu="$LORAFLEET_REQUIRE_GPU" \
  -Dlorafleet.fixtures="$fixtures" -Dlorafleet.emulator.library="$bundle/tests/liblorafleet-emu.so" \
  -Djava.io.tmpdir="${TMPDIR:-/tmp}" \
  -jar "$bundle/tests/junit-platform-console-standalone.jar" execute \
  --class-path "$cp" --scan-class-path "$bundle/tests/lorafleet-cuda-tests.jar" \
  --include-tag gpu --fail-if-no-tests --disable-banner --details=tree ${reports[@]+"${reports[@]}"} "$@"
