#!/usr/bin/env bash
# Runs LoraFleet's GPU test suite (JUnit tag "gpu") on a machine with an NVIDIA GPU and no Java: unpacks
# the JRE and jars from .device/ (made by ops/gpu/bundle.sh; bundle-env.sh), finds cuBLAS, and runs the JUnit console launcher
# over the cuda module's test classes. Prints the test tree and a summary; exit status 0 when all passed.
# Extra arguments go to the launcher (e.g. --include-tag emulator also runs the CPU-emulator checks, which is
# how the bundle itself is tested on the build machine).
# Results also go to $OUT/junit (XML) when OUT is set.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=ops/gpu/bundle-env.sh
source "$root/ops/gpu/bundle-env.sh"
bundle=$LF_BUNDLE
cat "$bundle/BUNDLE.txt" 2>/dev/null || true
java=$LF_JAVA
"$java" -version 2>&1 | head -1

echo "== device"
nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv,noheader 2>/dev/null \
  || echo "(nvidia-smi not available)"

# cuBLAS: an explicit LORAFLEET_CUBLAS wins; else the loader's path or the NVIDIA wheels of a Python torch
# install (the backend searches those and the CUDA toolkit too; this only makes the choice visible).
lf_find_cublas
echo "cuBLAS: ${LORAFLEET_CUBLAS:-not found (products run on the fallback kernel)}"

# On a machine with an NVIDIA driver a missing device fails the tests instead of skipping them.
if [[ -z "${LORAFLEET_REQUIRE_GPU:-}" ]]; then
  LORAFLEET_REQUIRE_GPU=false
  if [[ -e /dev/nvidiactl ]] || nvidia-smi -L >/dev/null 2>&1; then LORAFLEET_REQUIRE_GPU=true; fi
fi
echo "GPU required: $LORAFLEET_REQUIRE_GPU"

fixtures=${LORAFLEET_FIXTURES:-$root/fixtures}
cp=$LF_TESTS/lorafleet-cuda-tests.jar:$LF_TESTS/lorafleet-runtime-tests.jar:$LF_CP
reports=()
if [[ -n "${OUT:-}" ]]; then
  reports=(--reports-dir "$OUT/junit")
fi

echo "== GPU tests"
exec "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xss4m \
  -Dlorafleet.requireGpu="$LORAFLEET_REQUIRE_GPU" \
  -Dlorafleet.fixtures="$fixtures" -Dlorafleet.emulator.library="$LF_TESTS/liblorafleet-emu.so" \
  -Djava.io.tmpdir="${TMPDIR:-/tmp}" \
  -jar "$LF_TESTS/junit-platform-console-standalone.jar" execute \
  --class-path "$cp" --scan-class-path "$LF_TESTS/lorafleet-cuda-tests.jar" \
  --include-tag gpu --fail-if-no-tests --disable-banner --disable-ansi-colors --details=tree ${reports[@]+"${reports[@]}"} "$@"
