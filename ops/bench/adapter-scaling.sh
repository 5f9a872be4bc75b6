#!/usr/bin/env bash
# Adapter scaling benchmark (README, "Benchmarks: adapter scaling"). For each adapter count N it writes N
# random-weight copies of a fixture adapter and starts one `lorafleet serve` on the fixture tiny model with
# them (all N at once: idle nodes cost next to nothing). It warms each node up with WARMUP seconds of load,
# then drives them in turn with `lorafleet loadtest` (open loop, Zipf popularity, the same rate and seeds for
# every N) in slices of SLICE seconds, ROUNDS times round-robin, so that the background load of a shared
# machine falls on every N alike. `lorafleet loadtest-compare` merges the slices of each N and prints one
# Markdown table per repeat, with each latency also as a ratio to the first N. Each repeat starts fresh nodes.
#
#   ops/bench/adapter-scaling.sh                     # the defaults below (about 11 minutes)
#   RATE=30 ROUNDS=6 REPEATS=3 ops/bench/adapter-scaling.sh
#   SERVE_ARGS="--max-resident-adapters 64" ops/bench/adapter-scaling.sh
#
# Everything it writes (adapters, node logs, per-slice reports and request logs, summary.md) goes under $OUT.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LF="$ROOT/lorafleet"

COUNTS="${COUNTS:-1 10 100 1000}"
RATE="${RATE:-40}"
SLICE="${SLICE:-10}"
ROUNDS="${ROUNDS:-4}"
WARMUP="${WARMUP:-15}"
SLICE_WARMUP="${SLICE_WARMUP:-2}"
REPEATS="${REPEATS:-2}"
ZIPF="${ZIPF:-1.1}"
PROMPT_TOKENS="${PROMPT_TOKENS:-8}"
MAX_NEW_TOKENS="${MAX_NEW_TOKENS:-16}"
SEED="${SEED:-42}"
LIKE="${LIKE:-$ROOT/fixtures/adapters/adapter-qv-r8}"
SERVE_ARGS="${SERVE_ARGS:-}"
OUT="${OUT:-$ROOT/target/bench/adapter-scaling-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"

declare -A PID=() URL=()
stop_servers() {
  local n
  for n in "${!PID[@]}"; do
    kill "${PID[$n]}" 2>/dev/null || true
  done
  for n in "${!PID[@]}"; do
    wait "${PID[$n]}" 2>/dev/null || true
  done
  PID=()
  URL=()
}
trap stop_servers EXIT INT TERM

# Build once (the launcher builds when the jars are missing or stale), then skip the check.
"$LF" --version >/dev/null
export LORAFLEET_SKIP_BUILD=1

for n in $COUNTS; do
  if [ ! -d "$OUT/adapters-$n" ]; then
    "$LF" make-adapters --like "$LIKE" --count "$n" --out "$OUT/adapters-$n" --seed 1 2>>"$OUT/make-adapters.log"
  fi
done

# Starts one node per adapter count on free ports, one after the other (JVM starts compete for the CPU),
# each tried twice; fills PID and URL.
start_servers() {
  local rep="$1" n
  for n in $COUNTS; do
    start_server "$n" "$OUT/rep$rep-n$n-server.log" || start_server "$n" "$OUT/rep$rep-n$n-server-retry.log" \
      || { echo "node for N=$n did not start; see $OUT/rep$rep-n$n-server*.log" >&2; exit 1; }
  done
}

start_server() {
  local n="$1" log="$2" url=""
  : >"$log"
  # shellcheck disable=SC2086
  "$LF" serve --model "$ROOT/fixtures/model" --adapters "$OUT/adapters-$n" --port 0 $SERVE_ARGS >"$log" 2>&1 &
  PID[$n]=$!
  for _ in $(seq 1 300); do
    url="$(sed -n 's/^lorafleet: serving .* on \(http:\/\/[0-9.:]*\)$/\1/p' "$log" | head -n 1 || true)"
    if [ -n "$url" ]; then
      URL[$n]="$url"
      return 0
    fi
    kill -0 "${PID[$n]}" 2>/dev/null || break
    sleep 1
  done
  kill "${PID[$n]}" 2>/dev/null || true
  wait "${PID[$n]}" 2>/dev/null || true
  unset "PID[$n]"
  return 1
}

# One loadtest run against the node of N=$1: seconds $2, warmup $3, seed $4, report $5.
drive() {
  local n="$1" seconds="$2" warmup="$3" seed="$4" report="$5"
  "$LF" loadtest --url "${URL[$n]}" --adapters "$n" --rate "$RATE" --duration "$seconds" --warmup "$warmup" \
    --zipf "$ZIPF" --prompt-tokens "$PROMPT_TOKENS" --max-new-tokens "$MAX_NEW_TOKENS" --seed "$seed" \
    --json "$report.json" --requests-out "$report-requests.jsonl" >"$report.txt" 2>"$report.log" \
    || echo "loadtest N=$n ($report): exit $? (see $report.log)" >&2
}

{
  echo "# adapter scaling, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
    "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "load: $RATE req/s, zipf $ZIPF, $PROMPT_TOKENS-word prompts, $MAX_NEW_TOKENS new tokens; per N: $WARMUP s warmup," \
    "then $ROUNDS slices of $SLICE s (+$SLICE_WARMUP s unmeasured each) round-robin over N = $COUNTS;" \
    "serve args: ${SERVE_ARGS:-(defaults)}"
} | tee "$OUT/summary.md"

for rep in $(seq 1 "$REPEATS"); do
  start_servers "$rep"
  for n in $COUNTS; do
    drive "$n" "$WARMUP" 0 "$SEED" "$OUT/rep$rep-n$n-warmup"
  done
  reports=()
  for round in $(seq 1 "$ROUNDS"); do
    for n in $COUNTS; do
      drive "$n" "$SLICE" "$SLICE_WARMUP" "$((SEED + round))" "$OUT/rep$rep-n$n-round$round"
      reports+=("$OUT/rep$rep-n$n-round$round.json")
    done
  done
  stop_servers
  {
    echo
    echo "## repeat $rep (load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
    echo
    "$LF" loadtest-compare "${reports[@]}" 2>/dev/null
  } | tee -a "$OUT/summary.md"
done
echo
echo "per-slice reports, request logs, node logs and summary.md are in $OUT"
