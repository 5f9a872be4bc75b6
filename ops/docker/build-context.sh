#!/usr/bin/env bash
# Assembles the Docker build context of ops/docker/Dockerfile (no Docker needed; `docker build` runs on a
# machine that has an engine):
#   DIR/Dockerfile          a copy of ops/docker/Dockerfile (so `docker build DIR` is enough)
#   DIR/lib/                the server's class path: lorafleet-runtime, -cuda and -actors and their runtime
#                           dependencies, deduplicated (JCuda's natives cut down to the driver binding, the
#                           only one the CUDA backend loads); not tools/: the measuring tools stay out
#   DIR/classpath.args      a java @argfile: -cp with those jars in the launcher's order, as in the image
#   DIR/jre-modules.txt     the modules of the image's jlinked JRE (jdeps over the jars, plus what jdeps
#                           cannot see)
#   DIR/cluster-config/     the HOCON cluster profiles (single, local-3, kubernetes)
#   DIR/models/demo/        the bundled demo model and its task adapters (served by default)
#   DIR/fixtures/           the random-weight parity model, its adapters and reference.json
#   DIR/BUILD.txt           where it came from
# Usage: ops/docker/build-context.sh [--no-build] [DIR]      (DIR: target/docker-context)
#   --no-build  use the jars already under */target (fails when they are missing) instead of running
#               `mvn package` when they are missing or older than the sources
# Needs: a JDK 25 (JDK=..., else JAVA_HOME or /usr/lib/jvm/temurin-25*), Maven unless --no-build.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=1
out=""
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "build-context: unknown option $arg" >&2; exit 2 ;;
    *) [[ -z "$out" ]] || { echo "build-context: one directory only" >&2; exit 2; }; out=$arg ;;
  esac
done
out=${out:-$root/target/docker-context}
modules=(runtime cuda actors)
home=/opt/lorafleet   # LORAFLEET_HOME in the Dockerfile

jdk=${JDK:-}
if [[ -z "$jdk" ]]; then
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25*; do
    [[ -n "$c" && -x "$c/bin/jdeps" ]] && "$c/bin/java" -version 2>&1 | grep -q '"25' && { jdk=$c; break; }
  done
fi
[[ -n "$jdk" && -x "$jdk/bin/jdeps" && -x "$jdk/bin/jar" ]] || {
  echo "build-context: needs a JDK 25 with jdeps and jar (set JDK=...)" >&2; exit 1; }

module_jar() { ls "$root/$1"/target/lorafleet-"$1"-*.jar 2>/dev/null | grep -v -e '-tests\.jar$' -e '-sources\.jar$' | head -n 1; }

stale() {
  local m jar
  for m in "${modules[@]}"; do
    jar=$(module_jar "$m")
    [[ -n "$jar" && -d "$root/$m/target/lib" ]] || return 0
    [[ -z "$(find "$root/$m/src/main" "$root/$m/pom.xml" "$root/pom.xml" -newer "$jar" -print -quit 2>/dev/null)" ]] || return 0
  done
  return 1
}

if (( build )) && stale; then
  echo "== building (mvn package, tests skipped)" >&2
  (cd "$root" && mvn -q -B -DskipTests package -pl runtime,cuda,actors -am >&2)
fi
for m in "${modules[@]}"; do
  [[ -n "$(module_jar "$m")" && -d "$root/$m/target/lib" ]] || {
    echo "build-context: $m/target has no jar or lib/ (run mvn -DskipTests package, or drop --no-build)" >&2; exit 1; }
done
if [[ ! -f "$root/cuda/target/classes/io/lorafleet/cuda/kernels/manifest.txt" ]]; then
  echo "build-context: warning: the CUDA kernels were not built (no nvcc): the image would serve on the CPU only" >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$out"
mkdir -p "$out/lib" "$out/fixtures" "$out/models"

# The class path in the launcher's order: the module jars, then each module's dependencies, first one wins.
classpath=()
for m in "${modules[@]}"; do
  jar=$(module_jar "$m")
  cp "$jar" "$out/lib/"
  classpath+=("$(basename "$jar")")
done
declare -A seen=() versions=()
for m in "${modules[@]}"; do
  for jar in "$root/$m"/target/lib/*.jar; do
    name=$(basename "$jar")
    [[ "$name" == lorafleet-* || -n "${seen[$name]:-}" ]] && continue
    seen[$name]=1
    # artifact-version[-classifier].jar: two versions of one artifact would make the order matter.
    if [[ "$name" =~ ^(.+)-([0-9][^-]*)(-[^0-9].*)?\.jar$ ]]; then
      artifact=${BASH_REMATCH[1]}; version=${BASH_REMATCH[2]}
      if [[ -n "${versions[$artifact]:-}" && "${versions[$artifact]}" != "$version" ]]; then
        echo "build-context: $artifact in two versions (${versions[$artifact]} and $version)" >&2; exit 1
      fi
      versions[$artifact]=$version
    fi
    if [[ "$name" == jcuda-natives-* ]]; then
      # Keep only libJCudaDriver (1 MB of 26 MB): no runtime API, NVRTC or PTX compiler bindings.
      rm -rf "$work/natives" && mkdir -p "$work/natives"
      (cd "$work/natives" && "$jdk/bin/jar" -xf "$jar" && find lib -type f ! -name 'libJCudaDriver-*' -delete)
      name=${name%.jar}-driver-only.jar
      "$jdk/bin/jar" --create --file "$out/lib/$name" -C "$work/natives" lib
    else
      cp "$jar" "$out/lib/"
    fi
    classpath+=("$name")
  done
done
{
  printf -- '-cp '
  printf '%s\n' "${classpath[@]}" | sed "s|^|$home/lib/|" | paste -sd: -
} > "$out/classpath.args"

# The JRE's modules: what jdeps finds in the server's jars and, recursively, in the classes they reach on
# the class path (the dependencies stay class-path jars: some are modular jars whose `requires` name jars
# that are not modules), plus what it cannot see: the Vector API (the launcher's --add-modules), jdk.zipfs
# (zip file systems opened by provider lookup), java.management/jdk.management (Pekko's cluster MBeans,
# the JVM's memory and CPU beans), jdk.unsupported (sun.misc.Unsafe, looked up by reflection).
deps=$("$jdk/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 --recursive \
  --class-path "$out/lib/*" "$out"/lib/lorafleet-*.jar 2>&1 | tail -n 1)
[[ "$deps" =~ ^[a-z.,]+$ ]] || { echo "build-context: jdeps failed: $deps" >&2; exit 1; }
echo "$deps,java.logging,jdk.incubator.vector,jdk.zipfs,java.management,jdk.management,jdk.unsupported" \
  | tr , '\n' | sort -u | paste -sd, - > "$out/jre-modules.txt"

cp -r "$root/cluster-config" "$out/cluster-config"
cp -r "$root/fixtures/model" "$root/fixtures/adapters" "$root/fixtures/reference.json" "$out/fixtures/"
mkdir -p "$out/models/demo"
cp -r "$root/models/demo/lorafleet-demo" "$root/models/demo/adapters" "$out/models/demo/"
cp "$root/ops/docker/Dockerfile" "$out/Dockerfile"
{
  echo "LoraFleet Docker build context"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) from $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet 2>/dev/null || echo ' (uncommitted changes)')"
  echo "jars: ${#classpath[@]}"
  echo "jre modules: $(cat "$out/jre-modules.txt")"
  [[ -f "$root/cuda/target/classes/io/lorafleet/cuda/kernels/manifest.txt" ]] \
    && grep -E '^(nvcc|targets)' "$root/cuda/target/classes/io/lorafleet/cuda/kernels/manifest.txt" || echo "kernels: none"
} > "$out/BUILD.txt"

echo "== $out: $(du -sh "$out" | cut -f1)" >&2
echo "   docker build -t lorafleet:0.1.0-SNAPSHOT $out" >&2
