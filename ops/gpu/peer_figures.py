"""The parts of the PEFT peer that need no torch: arguments, the manifest, the time budget, statistics and
the result document (the same snake_case schema as LoraFleet's SystemResult, so that `lorafleet gpu-bench
report` reads both sides alike).

`python3 ops/gpu/peer_figures.py --sample-json FILE` writes a result with made-up figures through these
same functions; the Java tests parse it strictly against SystemResult.
"""

import argparse
import json
import math
import os
import random
import sys
import tempfile
import time

SYSTEM = "peft"

# The LatencyFigure, ThroughputFigure, ... keys of SystemResult (snake_case).
WORKLOAD_KEYS = ("prompt_tokens", "new_tokens", "latency_adapters", "latency_requests", "adapter_counts",
                 "sweep_requests", "concurrency", "throughput_adapters", "throughput_requests",
                 "throughput_new_tokens", "decode_steps", "seed")


def parse_args(argv=None):
    """The peer's command line; the workload defaults are the benchmark's reference workload, as on the Java side."""
    p = argparse.ArgumentParser(
        prog="peft_peer.py",
        description="HF transformers + PEFT on the same GPU and the same files as LoraFleet's gpu-bench.")
    p.add_argument("--manifest", required=True, help="written by `lorafleet gpu-bench checkpoint`")
    p.add_argument("--json", required=True, help="where the figures go (rewritten after every phase)")
    p.add_argument("--deadline", type=float, default=None,
                   help="epoch seconds by which the peer must have written its last figure")
    p.add_argument("--device", default="cuda", help="torch device (default: cuda)")
    p.add_argument("--prompt-tokens", type=int, default=70)
    p.add_argument("--new-tokens", type=int, default=10)
    p.add_argument("--latency-adapters", type=int, default=100)
    p.add_argument("--latency-requests", type=int, default=200)
    p.add_argument("--adapter-counts", type=int_list, default=[1, 10, 100, 1000])
    p.add_argument("--sweep-requests", type=int, default=50)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--throughput-adapters", type=int, default=100)
    p.add_argument("--throughput-requests", type=int, default=128)
    p.add_argument("--throughput-new-tokens", type=int, default=32)
    p.add_argument("--decode-steps", type=int, default=32)
    p.add_argument("--seed", type=int, default=6)
    p.add_argument("--bandwidth-mib", type=int, default=256, help="MiB per buffer of the torch copy probe")
    p.add_argument("--single-mode", choices=("adapter_names", "set_adapter"), default="adapter_names",
                   help="how single requests pick their adapter: generate(adapter_names=[name]) (default) or "
                        "set_adapter(name) before generate")
    p.add_argument("--warmup-requests", type=int, default=3)
    args = p.parse_args(argv)
    for name in ("prompt_tokens", "new_tokens", "latency_adapters", "latency_requests", "sweep_requests",
                 "concurrency", "throughput_adapters", "throughput_requests", "throughput_new_tokens",
                 "decode_steps", "bandwidth_mib"):
        if getattr(args, name) < 1:
            p.error("--%s must be at least 1" % name.replace("_", "-"))
    if args.prompt_tokens < 2:
        p.error("--prompt-tokens must be at least 2")
    if not args.adapter_counts or min(args.adapter_counts) < 1:
        p.error("--adapter-counts must be positive")
    args.adapter_counts = sorted(set(args.adapter_counts))
    return args


def int_list(text):
    """"1,10,100" -> [1, 10, 100]."""
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list of integers: %r" % text)


def workload(args):
    """The workload block of the result, from the arguments."""
    return {
        "prompt_tokens": args.prompt_tokens,
        "new_tokens": args.new_tokens,
        "latency_adapters": args.latency_adapters,
        "latency_requests": args.latency_requests,
        "adapter_counts": list(args.adapter_counts),
        "sweep_requests": args.sweep_requests,
        "concurrency": args.concurrency,
        "throughput_adapters": args.throughput_adapters,
        "throughput_requests": args.throughput_requests,
        "throughput_new_tokens": args.throughput_new_tokens,
        "decode_steps": args.decode_steps,
        "seed": args.seed,
    }


def sweep(args):
    """The latency sweep's adapter counts with the headline count in it, ascending."""
    return sorted(set(args.adapter_counts) | {args.latency_adapters})


def requests_for(args, adapters):
    return args.latency_requests if adapters == args.latency_adapters else args.sweep_requests


def read_manifest(path):
    """The manifest gpu-bench checkpoint wrote: model_dir, bos_token_id, vocab_size, adapters [{name, dir}]."""
    with open(path, encoding="utf-8") as f:
        m = json.load(f)
    for key in ("model_dir", "vocab_size", "bos_token_id", "adapters"):
        if key not in m:
            raise ValueError("%s: no %r (written by an older gpu-bench?)" % (path, key))
    if not m["adapters"]:
        raise ValueError("%s lists no adapters" % path)
    return m


# ---------------------------------------------------------------------------------------------- statistics

def quantile(values, q):
    """The q-quantile by nearest rank: the smallest value that at least a fraction q of the values are at or
    below (HdrHistogram's definition, which LoraFleet's LatencyHistogram uses, to its 0.1% precision)."""
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 1:
        raise ValueError("quantile %r outside [0, 1]" % q)
    s = sorted(values)
    rank = max(1, int(math.ceil(q * len(s) - 1e-9)))
    return s[rank - 1]


def latency_figure(adapters, prompt_tokens, new_tokens, millis):
    return {
        "adapters": adapters,
        "requests": len(millis),
        "prompt_tokens": prompt_tokens,
        "new_tokens": new_tokens,
        "p50_ms": quantile(millis, 0.5),
        "p99_ms": quantile(millis, 0.99),
        "mean_ms": sum(millis) / len(millis),
        "min_ms": min(millis),
        "max_ms": max(millis),
    }


def throughput_figure(method, concurrency, adapters, prompt_tokens, new_tokens, generated_tokens, seconds,
                      request_millis):
    return {
        "method": method,
        "concurrency": concurrency,
        "adapters": adapters,
        "requests": len(request_millis),
        "prompt_tokens": prompt_tokens,
        "new_tokens": new_tokens,
        "generated_tokens": generated_tokens,
        "seconds": seconds,
        "tokens_per_s": generated_tokens / seconds if seconds > 0 else 0.0,
        "request_p50_ms": quantile(request_millis, 0.5),
    }


def bandwidth_figure(method, nbytes, reps_gb_per_s):
    return {"method": method, "bytes": nbytes, "gb_per_s": max(reps_gb_per_s), "reps_gb_per_s": list(reps_gb_per_s)}


def copy_rate_gb_per_s(nbytes, copies, millis):
    """A device-to-device copy reads and writes nbytes: 2 * nbytes * copies / time, in 10^9 bytes per second."""
    if millis <= 0:
        raise ValueError("a copy took no time")
    return 2.0 * nbytes * copies / (millis / 1e3) / 1e9


def floor_ms(weight_bytes, gb_per_s):
    """Reading every weight once at the measured bandwidth."""
    return weight_bytes / (gb_per_s * 1e9) * 1e3


def step_times(stamps):
    """Millisecond gaps between consecutive step timestamps (seconds); the first stamp ends the prefill."""
    return [(b - a) * 1e3 for a, b in zip(stamps, stamps[1:])]


def step_figure(batch, adapters, step_millis, floor):
    med = quantile(step_millis, 0.5)
    return {
        "batch": batch,
        "adapters": adapters,
        "steps": len(step_millis),
        "median_step_ms": med,
        "mean_step_ms": sum(step_millis) / len(step_millis),
        "over_floor": med / floor if floor > 0 else 0.0,
    }


def decode_figure(weight_bytes, bandwidth, steps):
    return {
        "weight_bytes_per_step": weight_bytes,
        "bandwidth": bandwidth,
        "floor_ms": floor_ms(weight_bytes, bandwidth["gb_per_s"]),
        "steps": steps,
    }


def adapter_load_figure(load_millis, loaded, all_seconds):
    """PEFT reads and places an adapter in one call (load_adapter): only the total is known."""
    return {
        "loaded": loaded,
        "timed": len(load_millis),
        "disk_to_host_p50_ms": None,
        "host_to_device_p50_ms": None,
        "total_p50_ms": quantile(load_millis, 0.5),
        "total_mean_ms": sum(load_millis) / len(load_millis),
        "all_seconds": all_seconds,
    }


# ---------------------------------------------------------------------------------------------- the run

class Deadline:
    """The peer's time budget: phases check it and stop early (with a note) instead of being killed."""

    def __init__(self, at=None, clock=time.time, margin=5.0):
        self.at = at
        self.clock = clock
        self.margin = margin

    def remaining(self):
        return float("inf") if self.at is None else self.at - self.clock()

    def passed(self):
        return self.remaining() <= self.margin


class Prompts:
    """BOS then ordinary token ids (never UNK, BOS or EOS), and adapter draws, from one seeded generator."""

    EOS_ID = 2

    def __init__(self, seed, vocab_size, bos_id):
        self.rng = random.Random(seed)
        self.vocab_size = vocab_size
        self.bos_id = bos_id

    def next(self, length):
        return [self.bos_id] + [self.rng.randrange(self.EOS_ID + 1, self.vocab_size) for _ in range(length - 1)]

    def adapter(self, n):
        return self.rng.randrange(n)


class Result:
    """The peer's SystemResult document, written after every phase (atomically) so a cut run leaves its figures."""

    def __init__(self, path, workload_block, description):
        self.path = path
        self.doc = {
            "system": SYSTEM,
            "description": description,
            "environment": {},
            "workload": workload_block,
            "latency": [],
            "throughput": None,
            "decode": None,
            "adapter_load": None,
            "profile": {},
            "notes": [],
        }

    def note(self, text):
        self.doc["notes"].append(text)

    def put(self, key, value):
        self.doc[key] = value

    def add_latency(self, figure):
        self.doc["latency"] = [f for f in self.doc["latency"] if f["adapters"] != figure["adapters"]] + [figure]
        self.doc["latency"].sort(key=lambda f: f["adapters"])

    def write(self):
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".peer-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(self.doc, f, indent=2, allow_nan=False)
                f.write("\n")
            os.replace(tmp, self.path)
        except BaseException:
            os.unlink(tmp)
            raise


def sample(path):
    """A result with made-up figures, written through the functions above (for the schema check)."""
    args = parse_args(["--manifest", "m.json", "--json", path])
    r = Result(path, workload(args), "sample")
    r.put("environment", {"torch": "0", "gpu": "none"})
    r.add_latency(latency_figure(100, 70, 10, [400.0, 410.0, 450.0]))
    r.add_latency(latency_figure(1, 70, 10, [380.0, 390.0]))
    r.put("throughput", throughput_figure("static batches", 64, 100, 70, 32, 4096, 20.0, [9000.0, 9500.0]))
    bw = bandwidth_figure("torch copy_", 1 << 28, [2500.0, 2600.0])
    floor = floor_ms(2_000_000_000, bw["gb_per_s"])
    r.put("decode", decode_figure(2_000_000_000, bw, [step_figure(1, 1, [30.0, 31.0], floor),
                                                      step_figure(64, 64, [200.0, 210.0], floor)]))
    r.put("adapter_load", adapter_load_figure([80.0, 90.0], 2, 0.2))
    r.note("sample figures, not measured")
    r.write()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--sample-json":
        sample(sys.argv[2])
    else:
        sys.exit("usage: peer_figures.py --sample-json FILE")
