#!/usr/bin/env bash
# Builds LoraFleet and puts everything a GPU machine without Java or Maven needs to run the GPU tests
# into .device/ (git-ignored), well under 64 MB:
#   .device/jre.tar.xz     a JRE made with jlink (modules found by jdeps), tar + xz
#   .device/lib/           lorafleet-cuda and its runtime class path (JCuda's natives cut down to the
#                          driver binding, the only one used)
#   .device/tests/         the cuda module's test classes and the JUnit console launcher
#   .device/fixtures/      the tiny model, adapters and reference.json
# Then ops/gpu/run-gpu-tests.sh runs the suite there (see ops/gpu/README.md).
# Needs: Maven, the Temurin 25 JDK (JDK=... to use another), nvcc (the kernels), xz.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
jdk=${JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
out=$root/.device
limit_mb=60
cd "$root"

for tool in "$jdk/bin/jlink" "$jdk/bin/jdeps" "$jdk/bin/jar"; do
  [[ -x "$tool" ]] || { echo "bundle: $tool not found (set JDK to a JDK 25)" >&2; exit 1; }
done
command -v xz >/dev/null || { echo "bundle: xz not found" >&2; exit 1; }

echo "== building (mvn package, tests skipped)"
mvn -q -pl runtime,cuda -am package -DskipTests
manifest=cuda/target/classes/io/lorafleet/cuda/kernels/manifest.txt
if [[ ! -f "$manifest" ]]; then
  echo "bundle: the CUDA kernels were not built (no nvcc?); a bundle without them cannot test anything" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$out"
mkdir -p "$out/lib" "$out/tests" "$out/fixtures"

echo "== jars"
cp cuda/target/lorafleet-cuda-*[0-9T].jar "$out/lib/"
for jar in cuda/target/lib/*.jar; do
  name=$(basename "$jar")
  if [[ "$name" == jcuda-natives-* ]]; then
    # Keep only libJCudaDriver (1 MB of the 26 MB: no runtime API, NVRTC or PTX compiler bindings).
    mkdir -p "$work/natives"
    (cd "$work/natives" && "$jdk/bin/jar" -xf "$root/$jar" && find lib -type f ! -name 'libJCudaDriver-*' -delete)
    "$jdk/bin/jar" --create --file "$out/lib/${name%.jar}-driver-only.jar" -C "$work/natives" lib
  else
    cp "$jar" "$out/lib/"
  fi
done
cp cuda/target/lorafleet-cuda-*-tests.jar "$out/tests/lorafleet-cuda-tests.jar"
cp cuda/target/test-launcher/junit-platform-console-standalone.jar "$out/tests/"
# The CPU emulator of the kernels, so that the bundle can be tried here (run-gpu-tests.sh --include-tag emulator).
bash cuda/src/build/compile-emulator.sh cuda/src/main/cuda cuda/src/test/emulator cuda/target/emulator/liblorafleet-emu.so
[[ -f cuda/target/emulator/liblorafleet-emu.so ]] && cp cuda/target/emulator/liblorafleet-emu.so "$out/tests/"

echo "== JRE"
cp_all=$(ls "$out"/lib/*.jar "$out"/tests/*.jar | tr '\n' ':')
modules=$("$jdk/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 --class-path "$cp_all" \
  "$out"/lib/*.jar "$out"/tests/*.jar 2>/dev/null | tail -1)
# jdeps leaves out what a listed module implies (java.logging is named since JCuda and JUnit use it
# directly) and what is only found as a service: jdk.zipfs, which the JUnit launcher needs to scan a jar.
modules=$(echo "$modules,java.logging,jdk.incubator.vector,jdk.zipfs" | tr , "\n" | sort -u | paste -sd, -)
echo "modules: $modules"
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --output "$work/jre" 2>&1 | grep -v 'incubator modules' || true
# Uncompressed jlink image + xz compresses far better than jlink's own zip.
tar -C "$work" -cf - jre | xz -9 -T0 > "$out/jre.tar.xz"

echo "== fixtures"
cp -r fixtures/model fixtures/adapters fixtures/reference.json "$out/fixtures/"

{
  echo "LoraFleet GPU bundle"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) from $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (uncommitted changes)')"
  echo "jre modules: $modules"
  grep -E '^(nvcc|targets)' "$manifest"
} > "$out/BUNDLE.txt"

echo "== checking the JRE as the GPU machine will unpack it"
check=$(mktemp -d)
tar -C "$check" -xJf "$out/jre.tar.xz"
"$check/jre/bin/java" -version
rm -rf "$check"

size_kb=$(du -sk "$out" | cut -f1)
echo "== .device/: $((size_kb / 1024)) MB"
du -sh "$out"/* | sed 's/^/   /'
if (( size_kb > limit_mb * 1024 )); then
  echo "bundle: $((size_kb / 1024)) MB is over the ${limit_mb} MB budget" >&2
  exit 1
fi
echo "run on the GPU machine: bash ops/gpu/run-gpu-tests.sh   (with .device carried along)"
