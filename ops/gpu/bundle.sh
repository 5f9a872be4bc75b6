#!/usr/bin/env bash
# Builds LoraFleet and puts everything a GPU machine without Java or Maven needs into .device/ (git-ignored),
# well under 64 MB, for the GPU tests (run-gpu-tests.sh) and the benchmark against PEFT (bench):
#   .device/jre.tar.xz   a JRE made with jlink (modules found by jdeps), tar + xz
#   .device/lib.tar.xz   lib/: LoraFleet's modules (runtime, cuda, actors, tools) and their runtime class
#                        path, every jar re-stored uncompressed so that xz compresses the classes across jars
#                        (JCuda's natives cut down to the driver binding, the tokenizer's to linux-x86_64);
#                        tests/: the cuda module's test classes, the JUnit console launcher, the CPU emulator
#   .device/BUNDLE.txt   what was built, from which commit
# The fixtures and the demo model are not copied: they travel with the working tree (fixtures/, models/demo/),
# which counts against the same 64 MiB as .device/ (checked at the end).
# Unpacked on the GPU machine by bundle-env.sh (tar + xz, or python3 where xz is missing).
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
mvn -q -B -pl runtime,cuda,actors,tools -am package -DskipTests
manifest=cuda/target/classes/io/lorafleet/cuda/kernels/manifest.txt
if [[ ! -f "$manifest" ]]; then
  echo "bundle: the CUDA kernels were not built (no nvcc?); a bundle without them cannot test anything" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$out"
mkdir -p "$out" "$work/stage/lib" "$work/stage/tests"
lib=$work/stage/lib

# Re-stores a jar without compression (same entries): xz then compresses the whole class path as one stream.
# Native libraries for other platforms than x86-64 Linux are dropped (GPU machines are x86-64 Linux), and
# those whose path matches the third argument too.
restore() { # source.jar target.jar [native-libraries-to-drop-regex]
  local x=$work/x f rel lower
  rm -rf "$x" && mkdir -p "$x"
  (cd "$x" && unzip -q -o "$1" 2>/dev/null || "$jdk/bin/jar" -xf "$1")
  while IFS= read -r f; do
    rel=${f#"$x"/}
    lower=${rel,,}
    if [[ ! "$lower" =~ linux.*(x86[-_]64|amd64)|(x86[-_]64|amd64).*linux ]] || [[ -n "${3:-}" && "$rel" =~ ^($3)$ ]]; then
      rm -f "$f"
    fi
  done < <(find "$x" -type f \( -name '*.so' -o -name '*.so.*' -o -name '*.dll' -o -name '*.dylib' -o -name '*.jnilib' \
    -o -name '*.a' \))
  # The native libraries kept lose their symbol tables (not their dynamic symbols, which JNI binds to): the
  # tokenizer's libtokenizers.so ships unstripped, 15.5 MB instead of 11.8 MB (310 KB less after xz).
  if command -v strip >/dev/null; then
    find "$x" -type f \( -name '*.so' -o -name '*.so.*' \) -exec strip --strip-unneeded {} + 2>/dev/null || true
  fi
  rm -f "$2"
  # zip keeps every entry as it was (the manifest first, as jar readers expect); jar is the fallback.
  if command -v zip >/dev/null; then
    (cd "$x" && if [[ -f META-INF/MANIFEST.MF ]]; then zip -q -0 -X "$2" META-INF/MANIFEST.MF; fi \
      && zip -q -0 -X -r "$2" . -x META-INF/MANIFEST.MF)
  elif [[ -f "$x/META-INF/MANIFEST.MF" ]]; then
    mv "$x/META-INF/MANIFEST.MF" "$work/manifest.mf"
    "$jdk/bin/jar" --create --no-compress --file "$2" --manifest "$work/manifest.mf" -C "$x" .
  else
    "$jdk/bin/jar" --create --no-compress --no-manifest --file "$2" -C "$x" .
  fi
}

echo "== jars"
for m in runtime cuda actors tools; do
  for jar in "$m"/target/lorafleet-"$m"-*[0-9T].jar; do
    restore "$root/$jar" "$lib/$(basename "$jar")"
  done
done
declare -A seen=()
left_out=()
for m in runtime cuda actors tools; do
  for jar in "$m"/target/lib/*.jar; do
    name=$(basename "$jar")
    case "$name" in lorafleet-*) continue ;; esac
    [[ -n "${seen[$name]:-}" ]] && continue
    seen[$name]=1
    case "$name" in
      # Server-only, for the kubernetes profile (fabric8 client for the provisioner, Pekko Management, Cluster
      # Bootstrap, Kubernetes discovery, and what only they use): no device script runs it (device-run: the
      # GPU tests, host overhead, the bench's single node); they stay off the device class path (~14 MB of jars).
      kubernetes-*|zjsonpatch-*|snakeyaml-engine-*|jackson-datatype-jsr310-*|pekko-management*|pekko-discovery-kubernetes-api_*|pekko-http-spray-json_*|spray-json_*)
        left_out+=("$name"); continue ;;
      # LMDB for durable Distributed Data keys (lmdbjava through JNR): LoraFleet keeps none durable
      # (reference.conf: durable.keys = []), so Pekko never opens it.
      lmdbjava-*|jnr-ffi-*|jnr-constants-*|jnr-a64asm-*|jnr-x86asm-*|jffi-*)
        left_out+=("$name"); continue ;;
      # Archive support of DJL's model-zoo downloads (ai.djl.util.TarUtils, the only class of the class path that
      # refers to them): LoraFleet loads tokenizer.json files from disk, offline.
      commons-compress-*|commons-io-*|commons-codec-*)
        left_out+=("$name"); continue ;;
      # Tool-only: Kryo (and what only it uses) for wire-bench's comparison with the release's Kryo encoding,
      # JFreeChart for simulate's charts; no device script runs those commands (the CLI still lists them).
      kryo-*|reflectasm-*|minlog-*|objenesis-*|jfreechart-*)
        left_out+=("$name"); continue ;;
      # Only libJCudaDriver (1 MB of the 26 MB: no runtime API, NVRTC or PTX compiler bindings).
      jcuda-natives-*) restore "$root/$jar" "$lib/${name%.jar}-driver-only.jar" 'lib/libJ(CudaRuntime|Nvrtc|NvPTXCompiler)-.*' ;;
      *) restore "$root/$jar" "$lib/$name" ;;
    esac
  done
done
cp cuda/target/lorafleet-cuda-*-tests.jar "$work/stage/tests/lorafleet-cuda-tests.jar"
cp runtime/target/lorafleet-runtime-*-tests.jar "$work/stage/tests/lorafleet-runtime-tests.jar"   # Fixtures
cp cuda/target/test-launcher/junit-platform-console-standalone.jar "$work/stage/tests/"
# The CPU emulator of the kernels, so that the bundle can be tried here (run-gpu-tests.sh --include-tag emulator).
bash cuda/src/build/compile-emulator.sh cuda/src/main/cuda cuda/src/test/emulator cuda/target/emulator/liblorafleet-emu.so
[[ -f cuda/target/emulator/liblorafleet-emu.so ]] && cp cuda/target/emulator/liblorafleet-emu.so "$work/stage/tests/"
"$jdk/bin/jar" -tf "$lib"/jcuda-natives-*-driver-only.jar | grep -q libJCudaDriver || { echo "bundle: JCuda driver binding missing" >&2; exit 1; }
"$jdk/bin/jar" -tf "$lib"/tokenizers-*.jar | grep -q 'linux-x86_64/cpu/libtokenizers.so' \
  || { echo "bundle: tokenizer library missing" >&2; exit 1; }
(cd "$work/stage" && tar -cf - lib tests | xz -9e -T0 > "$out/lib.tar.xz")

echo "== JRE"
# jdeps stops at modular jars whose required modules it cannot resolve on a class path (progressbar, asm,
# jackson...), so the list is given here: the union of what jdeps finds for each jar of the class path alone,
# plus what is only found as a service or by reflection (jdk.zipfs: the JUnit launcher scans a jar;
# jdk.management: Pekko's and the OS bean's extensions; jdk.crypto.ec: TLS). What jdeps finds in LoraFleet's
# own jars is added, so that a module our code starts to use is not missed.
# Left out: jdk.jdi, jdk.attach and java.instrument, which only javassist's optional agent and hot-swap
# tools use (jinjava needs none of it).
modules="java.base,java.compiler,java.desktop,java.logging,java.management,java.naming,java.net.http"
modules+=",java.sql,java.xml,jdk.crypto.ec,jdk.incubator.vector,jdk.jfr,jdk.management,jdk.unsupported,jdk.zipfs"
found=$("$jdk/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 "$lib"/lorafleet-*.jar \
  2>/dev/null | tail -1 || true)
if [[ "$found" =~ ^[a-z][a-z0-9.]*(,[a-z][a-z0-9.]*)*$ ]]; then
  modules+=",$found"
fi
modules=$(echo "$modules" | tr , "\n" | grep -v '^$' | sort -u | paste -sd, -)
echo "modules: $modules"
# java.desktop is there for java.beans (Jackson, jinjava) and for the PNG chart of `gpu-bench report`
# (JFreeChart, headless: libawt, libfontmanager and libfreetype draw it, with the machine's fontconfig fonts);
# the native libraries for windows, sound, JPEG, colour profiles and the splash screen stay out.
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --exclude-files='regex:.*/lib/lib(splashscreen|jsound|awt_xawt|lcms|javajpeg)\.so' \
  --output "$work/jre" 2>&1 | grep -v 'incubator modules' || true
# Uncompressed jlink image + xz compresses far better than jlink's own zip.
tar -C "$work" -cf - jre | xz -9e -T0 > "$out/jre.tar.xz"

{
  echo "LoraFleet GPU bundle"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) from $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (uncommitted changes)')"
  echo "jre modules: $modules"
  echo "left off the class path (server-only or unused): ${left_out[*]}"
  grep -E '^(nvcc|targets)' "$manifest"
} > "$out/BUNDLE.txt"

echo "== checking the bundle as the GPU machine will unpack it"
check=$(mktemp -d)
(
  export TMPDIR=$check LORAFLEET_BUNDLE=$out
  # shellcheck source=ops/gpu/bundle-env.sh
  source "$root/ops/gpu/bundle-env.sh"
  "$LF_JAVA" -version
  "$LF_JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$LF_CP" \
    io.lorafleet.runtime.cli.LoraFleetCli gpu-bench --help >/dev/null
  echo "the bundled JRE starts the CLI with the bundled class path"
  # A serving node (the bench's HTTP part) starts without the server-only jars: up, /health answers, stopped.
  port=$(( 20000 + RANDOM % 20000 ))
  "$LF_JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true \
    -cp "$LF_CP" io.lorafleet.runtime.cli.LoraFleetCli serve --backend cpu --model "$root/fixtures/model" \
    --adapters "$root/fixtures/adapters" --host 127.0.0.1 --port "$port" > "$check/serve.log" 2>&1 &
  node=$!
  up=0
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then up=1; break; fi
    kill -0 "$node" 2>/dev/null || break
    sleep 1
  done
  kill "$node" 2>/dev/null; wait "$node" 2>/dev/null || true
  if (( up == 0 )); then
    echo "bundle: a node on the bundled class path did not serve /health:" >&2; tail -20 "$check/serve.log" >&2; exit 1
  fi
  echo "a serving node starts on the bundled class path"
)
rm -rf "$check"

size_kb=$(du -sk "$out" | cut -f1)
echo "== .device/: $((size_kb / 1024)) MB"
du -sh "$out"/* | sed 's/^/   /'
if (( size_kb > limit_mb * 1024 )); then
  echo "bundle: $((size_kb / 1024)) MB is over the ${limit_mb} MB budget" >&2
  exit 1
fi
# What travels to the GPU machine: the working tree (tracked and untracked, not ignored) plus .device/.
tree_kb=$(( $( (git ls-files -z --cached --others --exclude-standard | xargs -0 -r du -cb 2>/dev/null || true) \
  | awk '/\ttotal$/ {s += $1} END {print int(s / 1024)}') ))
echo "== travels: $(( (tree_kb + size_kb) / 1024 )) MiB (working tree $((tree_kb / 1024)) MiB + .device/) of 64 MiB"
if (( tree_kb + size_kb > 62 * 1024 )); then
  echo "bundle: the working tree and .device/ come to more than 62 MiB; the device tool carries 64 MiB at most" >&2
  exit 1
fi
echo "run on the GPU machine (with .device carried along): bash ops/gpu/device-run   (the tests, the host overhead and a quick bench in ~8 minutes)"
