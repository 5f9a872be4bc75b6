# Sourced by run-gpu-tests.sh and bench: unpacks the bundle that ops/gpu/bundle.sh made (.device/) once per
# bundle into $TMPDIR, and sets
#   LF_BUNDLE   the bundle directory
#   LF_JAVA     the bundled JRE's java
#   LF_LIB      the directory of the runtime jars (LoraFleet's modules and their dependencies)
#   LF_TESTS    the directory of the test jar, the JUnit console launcher and the CPU emulator library
#   LF_CP       every jar of LF_LIB, ':'-separated
# and defines lf_find_cublas, which exports LORAFLEET_CUBLAS (unless set) when it finds libcublas.so.13/.12 on
# the loader's path or in the NVIDIA wheels of a Python torch install.
# Needs tar and either xz or python3 (GPU machines have python3).

LF_BUNDLE=${LORAFLEET_BUNDLE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.device}
if [[ ! -f "$LF_BUNDLE/jre.tar.xz" || ! -f "$LF_BUNDLE/lib.tar.xz" ]]; then
  echo "no bundle in $LF_BUNDLE: run ops/gpu/bundle.sh on the build machine and carry .device along" >&2
  return 2 2>/dev/null || exit 2
fi

lf_untar_xz() { # archive destination
  if command -v xz >/dev/null; then
    tar -C "$2" -xJf "$1"
  else
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' "$1" "$2"
  fi
}

lf_stamp=$(cat "$LF_BUNDLE/jre.tar.xz" "$LF_BUNDLE/lib.tar.xz" | cksum | cut -d' ' -f1)
lf_dir=${TMPDIR:-/tmp}/lorafleet-bundle-$lf_stamp
if [[ ! -x "$lf_dir/jre/bin/java" || ! -d "$lf_dir/lib" ]]; then
  rm -rf "$lf_dir.tmp" && mkdir -p "$lf_dir.tmp"
  lf_untar_xz "$LF_BUNDLE/jre.tar.xz" "$lf_dir.tmp"
  lf_untar_xz "$LF_BUNDLE/lib.tar.xz" "$lf_dir.tmp"
  rm -rf "$lf_dir" && mv "$lf_dir.tmp" "$lf_dir"
fi
LF_JAVA=$lf_dir/jre/bin/java
LF_LIB=$lf_dir/lib
LF_TESTS=$lf_dir/tests
LF_CP=$(ls "$LF_LIB"/*.jar | tr '\n' ':')
LF_CP=${LF_CP%:}
unset lf_stamp lf_dir

lf_find_cublas() {
  [[ -n "${LORAFLEET_CUBLAS:-}" ]] && return 0
  local found
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
  return 0
}
