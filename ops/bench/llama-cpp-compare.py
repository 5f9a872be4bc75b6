#!/usr/bin/env python3
"""LoraFleet's CPU backend against llama.cpp, side by side in one sitting.

Installs the pinned llama.cpp (the source that npm's node-llama-cpp@3.21.1 ships in
llama/gitRelease.bundle, built with cmake: llama-bench, llama-batched-bench, llama-completion), converts
LoraFleet's synthetic benchmark checkpoint and one of its rank-16 adapters to GGUF (BF16 weights kept bit for
bit; hf_to_gguf.py with numpy from the local wheels), then runs `./lorafleet bench` and llama.cpp back to
back, alternating which goes first, --rounds times each, and prints one table: each row's median over the
rounds for both engines, LoraFleet / llama.cpp, and for the decode rows both as fractions of the memory
bandwidth LoraFleet's probes measured in the same sitting. Everything it installs or converts is cached
under --cache-dir (default ~/.cache/lorafleet/llama-cpp), never in the repository; rerunning reuses it.

usage: python3 ops/bench/llama-cpp-compare.py [--rounds 3] [--threads 2] [--json FILE] [--cache-dir DIR]
                                             [--baseline CHECKOUT] [--summarize-runs]
--baseline runs another built checkout's `./lorafleet bench` in the same rounds (e.g. the commit before a change)
and adds its medians and this checkout over it to the table. --summarize-runs prints the table of the rounds
already written next to --json (when a sitting was cut short).
Needs: npm (registry access once), cmake, a C++ compiler, git, python3; JDK 25 for ./lorafleet.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = "3.21.1"
TOOLS = ("llama-bench", "llama-batched-bench", "llama-completion")
WHEELS = ["--index-url", "file:///opt/pypi/simple", "--find-links", "/opt/wheels"]
LORA_PROMPT = "t3 t4 t5 t6 t7 t8 t9 t10 t11 t12 t13 t14 t15 t16 t17"


def log(msg):
    print(f"[compare {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(cmd, capture=False, env=None):
    log("$ " + " ".join(str(c) for c in cmd))
    r = subprocess.run([str(c) for c in cmd], text=True, env=env,
                       stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE if capture else None)
    if r.returncode != 0:
        if capture:
            sys.stderr.write(r.stdout[-4000:] + r.stderr[-4000:])
        sys.exit(f"command failed ({r.returncode}): {' '.join(str(c) for c in cmd)}")
    return r


def load_average():
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError):
        return float("nan")


def ensure_llama_cpp(cache, jobs):
    """npm package (pinned) -> its bundled source -> cmake build of the three tools; each step cached."""
    npm = cache / "npm"
    pkg = npm / "node_modules" / "node-llama-cpp"
    pj = pkg / "package.json"
    if not pj.exists() or json.loads(pj.read_text()).get("version") != PIN:
        npm.mkdir(parents=True, exist_ok=True)
        run(["npm", "install", "--prefix", npm, "--ignore-scripts", "--no-audit", "--no-fund", f"node-llama-cpp@{PIN}"])
    info = json.loads((pkg / "llama" / "llama.cpp.info.json").read_text())
    src = cache / "src"
    if not (src / "CMakeLists.txt").exists():
        run(["git", "clone", "-q", pkg / "llama" / "gitRelease.bundle", src])
    build = cache / "build"
    bins = {t: build / "bin" / t for t in TOOLS}
    if not all(b.exists() for b in bins.values()):
        if not (build / "CMakeCache.txt").exists():
            run(["cmake", "-S", src, "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DGGML_NATIVE=ON", "-DLLAMA_CURL=OFF",
                 "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_SERVER=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF",
                 "-DLLAMA_OPENSSL=OFF"])
        run(["cmake", "--build", build, "--target", *TOOLS, "-j", str(jobs)])
    return bins, {"npm_package": f"node-llama-cpp@{PIN}", "bundle": info, "build": str(build)}


def ensure_gguf(cache, model_dir, adapter_dir):
    """GGUF files of the checkpoint and one adapter, keyed on the source files' size and mtime."""
    venv = cache / "venv"
    py = venv / "bin" / "python"
    if not py.exists():
        run([sys.executable, "-m", "venv", venv])
    check = subprocess.run([py, "-c", "import numpy, yaml, tqdm"], capture_output=True)
    if check.returncode != 0:
        run([venv / "bin" / "pip", "install", "-q", *WHEELS, "numpy", "pyyaml", "tqdm"])
    st = (model_dir / "model.safetensors").stat()
    key = f"{model_dir.parent.name}-{st.st_size}-{int(st.st_mtime)}"
    ast = (adapter_dir / "adapter_model.safetensors").stat()
    akey = f"{adapter_dir.name}-{ast.st_size}-{int(ast.st_mtime)}"
    out = cache / "gguf"
    out.mkdir(parents=True, exist_ok=True)
    model, lora = out / f"{key}-bf16.gguf", out / f"{key}-{akey}-lora.gguf"
    if not model.exists() or not lora.exists():
        env = dict(os.environ, PYTHONPATH=str(cache / "src" / "gguf-py"))
        tmp_model, tmp_lora = model.with_suffix(".tmp"), lora.with_suffix(".tmp")
        run([py, ROOT / "ops" / "bench" / "hf_to_gguf.py", model_dir, tmp_model, "--adapter", adapter_dir,
             "--adapter-out", tmp_lora], env=env)
        tmp_model.rename(model)
        tmp_lora.rename(lora)
    return model, lora


def lorafleet_round(out_dir, i, threads, root=ROOT, engine="lorafleet"):
    path = out_dir / f"{engine}-{i}.json"
    load = load_average()
    run([root / "lorafleet", "bench", "--threads", threads, "--json", path])
    return lorafleet_figures(path, engine, i, load)


def lorafleet_figures(path, engine, i, load):
    """The figures of one `./lorafleet bench --json` file (older checkouts lack some keys: None)."""
    j = json.loads(path.read_text())
    lora = j["phases"].get("batch1-lora", {})
    bw = j.get("bandwidth", {})
    return {
        "engine": engine, "round": i, "load_average": load, "json": str(path),
        "decode_batch1": j["mean_decode_tokens_per_s_batch1"],
        "decode_batch1_median_step": j["decode_tokens_per_s_batch1"],
        "decode_batch1_lora": lora.get("mean_decode_tokens_per_s"),
        "decode_batch1_lora_median_step": lora.get("decode_tokens_per_s"),
        "prefill_70": j.get("prefill_tokens_per_s_70"),
        "prefill_512": j["prefill_tokens_per_s"],
        "decode_batch32": j["mean_decode_tokens_per_s_batch32"],
        "decode_batch32_median_step": j["decode_tokens_per_s_batch32"],
        "decode_mixed32": j["mean_decode_tokens_per_s_mixed32"],
        "mixed32_over_base": j["mixed32_over_base"],
        "bandwidth_best": j["memory_bandwidth_gb_s"],
        "bandwidth_median": j.get("memory_bandwidth_median_gb_s"),
        "bandwidth_readings": [r for p in ("before", "after") if isinstance(bw, dict)
                               for run_ in bw.get(p, []) for r in run_["reps_gb_s"]],
        "weight_bytes_per_step": j["weight_bytes_per_step"],
        "gemm_gflops": j.get("gemm_gflops"), "fma_peak_gflops": j.get("fma_peak_gflops"),
        "gemm_peak_fraction": j.get("gemm_peak_fraction"), "model_dir": j["model_dir"],
    }


def eval_rate(text):
    m = re.search(r"\beval time =\s*([\d.]+) ms /\s*(\d+) runs", text)
    if not m:
        sys.exit("llama-completion printed no eval timing:\n" + text[-3000:])
    return int(m.group(2)) / (float(m.group(1)) / 1000)


def llama_round(bins, model, lora, i, threads, out_dir):
    load = load_average()
    t = str(threads)
    bench = run([bins["llama-bench"], "-m", model, "-t", t, "-p", "70,512", "-n", "32", "-r", "3", "-o", "json"],
                capture=True)
    results = json.loads(bench.stdout)
    batched = run([bins["llama-batched-bench"], "-m", model, "-t", t, "-c", "2048", "-b", "2048", "-ub", "512",
                   "-npp", "16", "-ntg", "16", "-npl", "1,32", "--output-format", "jsonl"], capture=True)
    rows = [json.loads(l) for l in (batched.stdout + batched.stderr).splitlines() if l.startswith("{")]
    common = ["-m", model, "-t", t, "-p", LORA_PROMPT, "-n", "32", "--ignore-eos", "--temp", "0", "-no-cnv", "-c", "256"]
    base = run([bins["llama-completion"], *common], capture=True)
    with_lora = run([bins["llama-completion"], *common, "--lora", lora], capture=True)
    record = {"load_average": load, "llama_bench": results, "batched_bench": rows,
              "completion_base": base.stderr[-3000:], "completion_lora": with_lora.stderr[-3000:]}
    (out_dir / f"llama-cpp-{i}.json").write_text(json.dumps(record, indent=1))
    return llama_figures(record, i, load)


def llama_figures(record, i, load):
    """The figures of one llama.cpp round as written to llama-cpp-N.json."""
    results = record["llama_bench"]
    by = {(r["n_prompt"], r["n_gen"]): r for r in results}
    b32 = next(r for r in record["batched_bench"] if r["pl"] == 32)
    return {
        "engine": "llama.cpp", "round": i, "load_average": load,
        "decode_batch1": by[(0, 32)]["avg_ts"],
        "decode_batch1_completion": eval_rate(record["completion_base"]),
        "decode_batch1_lora": eval_rate(record["completion_lora"]),
        "prefill_70": by[(70, 0)]["avg_ts"],
        "prefill_512": by[(512, 0)]["avg_ts"],
        "decode_batch32": b32["speed_tg"],
        "build_commit": results[0].get("build_commit"), "cpu_info": results[0].get("cpu_info"),
    }


def rounds_from_files(out_dir):
    """Every complete round written under out_dir (a sitting cut short still gives its table)."""
    rounds = []
    for path in sorted(out_dir.glob("*.json")):
        m = re.fullmatch(r"(lorafleet|baseline|llama-cpp)-(\d+)\.json", path.name)
        if not m:
            continue
        i = int(m.group(2))
        if m.group(1) == "llama-cpp":
            record = json.loads(path.read_text())
            rounds.append(llama_figures(record, i, record.get("load_average", float("nan"))))
        else:
            load = json.loads(path.read_text()).get("load_average_start", float("nan"))
            rounds.append(lorafleet_figures(path, m.group(1), i, load))
    return rounds


ROWS = [
    ("decode_batch1", "decode, batch 1 (tokens/s)", True),
    ("decode_batch1_lora", "decode, batch 1, one rank-16 LoRA (tokens/s)", True),
    ("prefill_70", "prefill, 70-token prompt (tokens/s)", False),
    ("prefill_512", "prefill, 512-token prompt (tokens/s)", False),
    ("decode_batch32", "decode, batch 32 (tokens/s)", False),
]


def summarize(rounds, args, llama_info):
    lf = [r for r in rounds if r["engine"] == "lorafleet"]
    lc = [r for r in rounds if r["engine"] == "llama.cpp"]
    base = [r for r in rounds if r["engine"] == "baseline"]
    readings = [x for r in lf for x in r["bandwidth_readings"]]
    bw_best, bw_median = max(readings), statistics.median(readings)
    bytes_per_step = lf[0]["weight_bytes_per_step"]
    summary = {}
    for key, label, decode in ROWS:
        a = [r[key] for r in lf]
        b = [r[key] for r in lc]
        row = {"label": label, "lorafleet": statistics.median(a), "llama_cpp": statistics.median(b),
               "lorafleet_rounds": a, "llama_cpp_rounds": b}
        row["ratio"] = row["lorafleet"] / row["llama_cpp"]
        c = [r[key] for r in base if r[key] is not None]
        if c:
            row["baseline"] = statistics.median(c)
            row["baseline_rounds"] = c
            row["over_baseline"] = row["lorafleet"] / row["baseline"]
        if decode:
            rows = 1
            row["lorafleet_bandwidth_fraction"] = bytes_per_step * row["lorafleet"] / rows / 1e9 / bw_best
            row["llama_cpp_bandwidth_fraction"] = bytes_per_step * row["llama_cpp"] / rows / 1e9 / bw_best
        summary[key] = row
    mixed = [r["decode_mixed32"] for r in lf]
    summary["decode_mixed32"] = {
        "label": "decode, batch 32, 32 distinct rank-16 adapters (tokens/s; LoraFleet only)",
        "lorafleet": statistics.median(mixed), "lorafleet_rounds": mixed,
        "over_own_base_only": statistics.median([r["mixed32_over_base"] for r in lf])}
    if base:
        bm = [r["decode_mixed32"] for r in base]
        summary["decode_mixed32"].update(baseline=statistics.median(bm), baseline_rounds=bm,
                                         over_baseline=statistics.median(mixed) / statistics.median(bm))
    gemm = {k: statistics.median([r[k] for r in lf]) for k in ("gemm_gflops", "fma_peak_gflops", "gemm_peak_fraction")}
    return {
        "threads": args.threads, "rounds": args.rounds, "llama_cpp": llama_info,
        "baseline": str(args.baseline) if args.baseline else None,
        "load_average": {"min": min(r["load_average"] for r in rounds), "max": max(r["load_average"] for r in rounds)},
        "bandwidth_gb_s": {"best": bw_best, "median": bw_median, "readings": len(readings)},
        "weight_bytes_per_step": bytes_per_step, "gemm": gemm, "summary": summary, "runs": rounds,
    }


def fmt(v):
    return "-" if v is None else f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"


def table(report):
    s = report["summary"]
    has_base = report.get("baseline") is not None
    rng = lambda xs: f" ({fmt(min(xs))}-{fmt(max(xs))})"
    head = "| figure | LoraFleet | llama.cpp | LoraFleet / llama.cpp | weight reads / bandwidth (LoraFleet, llama.cpp) |"
    sep = "|---|---:|---:|---:|---|"
    if has_base:
        head += " baseline | LoraFleet / baseline |"
        sep += "---:|---:|"
    out = [head, sep]
    for key, label, decode in ROWS:
        r = s[key]
        frac = (f"{r['lorafleet_bandwidth_fraction']:.2f}, {r['llama_cpp_bandwidth_fraction']:.2f}" if decode else "")
        line = (f"| {label} | {fmt(r['lorafleet'])}{rng(r['lorafleet_rounds'])} | {fmt(r['llama_cpp'])}"
                f"{rng(r['llama_cpp_rounds'])} | **{r['ratio']:.2f}x** | {frac} |")
        if has_base:
            line += (f" {fmt(r['baseline'])}{rng(r['baseline_rounds'])} | {r['over_baseline']:.2f}x |"
                     if "baseline" in r else " - | - |")
        out.append(line)
    m = s["decode_mixed32"]
    line = f"| {m['label']} | {fmt(m['lorafleet'])}{rng(m['lorafleet_rounds'])} | - | {m['over_own_base_only']:.2f}x own base-only | |"
    if has_base:
        line += f" {fmt(m['baseline'])}{rng(m['baseline_rounds'])} | {m['over_baseline']:.2f}x |"
    out.append(line)
    g = report["gemm"]
    bw = report["bandwidth_gb_s"]
    la = report["load_average"]
    out.append("")
    out.append(f"Medians of {report['rounds']} rounds per engine (range in brackets), {report['threads']} threads, "
               f"engines alternating; memory bandwidth in the same sitting: best {bw['best']:.1f} GB/s, median "
               f"{bw['median']:.1f} GB/s over {bw['readings']} readings; GEMM {g['gemm_gflops']:.0f} GFLOP/s = "
               f"{g['gemm_peak_fraction']:.2f} of the measured FMA peak {g['fma_peak_gflops']:.0f} GFLOP/s; "
               f"1-minute load average {la['min']:.2f}-{la['max']:.2f}"
               + (f"; baseline: {report['baseline']}." if has_base else "."))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path, default=ROOT / "bench-out" / "llama-cpp-compare.json")
    ap.add_argument("--cache-dir", type=Path, default=Path(os.environ.get(
        "LORAFLEET_PEER_CACHE", Path.home() / ".cache" / "lorafleet" / "llama-cpp")))
    ap.add_argument("--build-jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--summarize-runs", action="store_true",
                    help="run nothing: the table of the rounds already written next to --json")
    ap.add_argument("--baseline", type=Path, default=None,
                    help="another checkout (built) whose ./lorafleet bench runs in the same rounds")
    args = ap.parse_args()
    if args.rounds < 1 or args.threads < 1:
        sys.exit("--rounds and --threads must be at least 1")
    if args.baseline is not None and not args.summarize_runs and not (args.baseline / "lorafleet").is_file():
        sys.exit(f"--baseline {args.baseline}: no lorafleet launcher there")
    cache = args.cache_dir.expanduser().resolve()
    cache.mkdir(parents=True, exist_ok=True)
    out_dir = args.json.resolve().parent / "llama-cpp-compare-runs"
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.summarize_runs:
        rounds = rounds_from_files(out_dir)
        engines = {r["engine"] for r in rounds}
        if not {"lorafleet", "llama.cpp"} <= engines:
            sys.exit(f"{out_dir}: no complete round of both engines")
        args.rounds = max(r["round"] for r in rounds)
        if "baseline" in engines and args.baseline is None:
            args.baseline = Path("(baseline rounds in the runs folder)")
        report = summarize(rounds, args, {"npm_package": f"node-llama-cpp@{PIN}"})
        args.json.write_text(json.dumps(report, indent=2))
        print(table(report))
        return
    bins, info = ensure_llama_cpp(cache, args.build_jobs)
    rounds, model, lora = [], None, None
    for i in range(1, args.rounds + 1):
        # Alternate which engine goes first, so slow drifts of the machine fall on both alike.
        order = ["lorafleet", "llama.cpp"] if i % 2 == 1 or model is None else ["llama.cpp", "lorafleet"]
        if args.baseline is not None:
            order = order + ["baseline"] if i % 2 == 1 else ["baseline"] + order
        for engine in order:
            if engine == "baseline":
                r = lorafleet_round(out_dir, i, args.threads, args.baseline.resolve(), "baseline")
            elif engine == "lorafleet":
                r = lorafleet_round(out_dir, i, args.threads)
                if model is None:
                    mdir = Path(r["model_dir"])
                    model, lora = ensure_gguf(cache, mdir, mdir.parent / "adapters" / "lora-00")
            else:
                r = llama_round(bins, model, lora, i, args.threads, out_dir)
            log(f"round {i} {engine}: " + ", ".join(f"{k}={fmt(r[k])}" for k, _, _ in ROWS))
            rounds.append(r)
    report = summarize(rounds, args, info)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(table(report))
    log(f"wrote {args.json}")


if __name__ == "__main__":
    main()
