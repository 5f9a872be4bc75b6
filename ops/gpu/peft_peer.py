#!/usr/bin/env python3
"""The peer of LoraFleet's GPU benchmark: HF transformers + PEFT on the same GPU, the same checkpoint and the
same adapters (read from the manifest `lorafleet gpu-bench checkpoint` wrote), the same figures.

  python3 ops/gpu/peft_peer.py --manifest M.json --json peer.json [--deadline EPOCH] [workload options]

The base model is loaded in bf16 with AutoModelForCausalLM; the first adapter with PeftModel.from_pretrained
and every other one with load_adapter (adapter tensors kept in bf16: autocast_adapter_dtype=False), each
load timed (figure e). Requests go through generate() (greedy, KV cache, eager PyTorch): single requests with
adapter_names=[name] (or set_adapter, --single-mode), batches with one adapter name per row through
adapter_names (PEFT's mixed-batch inference). Figures, in this order so that a short time budget keeps the
headline ones: the device bandwidth by a torch copy (c), decode step times at batch 1 and at the concurrency
from a logits processor's timestamps (c), the latency of single requests over 100 adapters (a), static
batches of mixed adapters (b: PEFT has no continuous batching), the latency sweep over fewer adapters (d), then
the remaining adapters loaded and the latency over all of them (d). The JSON is rewritten after every phase.
"""

import inspect
import os
import platform
import re
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_figures as pf  # noqa: E402  (after the path is set)

# No hub lookups: every file is local, and the GPU machine has no network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def supported(fn, **wanted):
    """The keyword arguments that fn names in its signature (PEFT added several over its versions)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}
    return {k: v for k, v in wanted.items() if k in params}


def version_tuple(text):
    """'4.57.1' -> (4, 57, 1); '5.0.0rc1' -> (5, 0, 0)."""
    return tuple(int(m) for m in re.findall(r"\d+", text)[:3])


def log(msg):
    print("peft-peer: " + msg, file=sys.stderr, flush=True)


class Peer:
    def __init__(self, args, manifest, result, deadline):
        self.args = args
        self.manifest = manifest
        self.result = result
        self.deadline = deadline
        self.failed = []
        import torch
        import transformers
        import peft
        from transformers import AutoModelForCausalLM, LogitsProcessor, LogitsProcessorList
        from peft import PeftModel
        self.torch = torch
        self.transformers = transformers
        self.peft = peft
        self.AutoModelForCausalLM = AutoModelForCausalLM
        self.LogitsProcessorList = LogitsProcessorList
        self.PeftModel = PeftModel

        sync = self.sync

        class StepClock(LogitsProcessor):
            """Called once per generated token, after that step's forward pass: the step timestamps."""

            def __init__(self):
                self.stamps = []

            def __call__(self, input_ids, scores):
                sync()
                self.stamps.append(time.perf_counter())
                return scores

        self.StepClock = StepClock
        self.device = torch.device(args.device)
        self.model = None
        self.low_cpu_mem_usage = True
        self.names = [a["name"] for a in manifest["adapters"]]
        self.loaded = 0
        self.load_ms = []
        self.load_seconds = 0.0
        self.prompts = pf.Prompts(args.seed, manifest["vocab_size"], manifest["bos_token_id"])

    # ------------------------------------------------------------------------------------------ phases

    def phase(self, name, fn):
        """Runs one phase; a failure is noted (and the run goes on with the next phase)."""
        if self.deadline.passed():
            self.result.note("%s skipped: the time budget ran out" % name)
            self.result.write()
            return
        log(name)
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - every failure is reported, none stops the other phases
            traceback.print_exc()
            self.failed.append(name)
            self.result.note("%s failed: %s: %s" % (name, type(e).__name__, e))
        self.result.write()

    def sync(self):
        if self.device.type == "cuda":
            self.torch.cuda.synchronize()

    def environment(self):
        t = self.torch
        env = {
            "python": platform.python_version(),
            "torch": t.__version__,
            "torch_cuda": str(t.version.cuda),
            "transformers": self.transformers.__version__,
            "peft": self.peft.__version__,
            "single_requests": self.args.single_mode,
        }
        if self.device.type == "cuda":
            props = t.cuda.get_device_properties(self.device)
            env["gpu"] = props.name
            env["compute_capability"] = "%d.%d" % (props.major, props.minor)
            env["gpu_memory_mib"] = str(props.total_memory >> 20)
        self.result.put("environment", env)

    def bandwidth(self, nbytes, copies=10, reps=5):
        t = self.torch
        src = t.empty(nbytes, dtype=t.uint8, device=self.device)
        dst = t.empty_like(src)
        src.zero_()
        dst.copy_(src)
        self.sync()
        rates = []
        cuda = self.device.type == "cuda"
        for _ in range(reps):
            if cuda:
                start = t.cuda.Event(enable_timing=True)
                end = t.cuda.Event(enable_timing=True)
                start.record()
                for _ in range(copies):
                    dst.copy_(src)
                end.record()
                end.synchronize()
                ms = start.elapsed_time(end)
            else:  # a CPU run (a development check): wall time, the copies are synchronous
                t0 = time.perf_counter()
                for _ in range(copies):
                    dst.copy_(src)
                ms = (time.perf_counter() - t0) * 1e3
            rates.append(pf.copy_rate_gb_per_s(nbytes, copies, ms))
        del src, dst
        if cuda:
            t.cuda.empty_cache()
        log("torch copy bandwidth: %.0f GB/s" % max(rates))
        return pf.bandwidth_figure("torch Tensor.copy_ on the device, 2 x bytes / time (read + write), best of %d x %d "
                                   "copies" % (reps, copies), nbytes, rates)

    def load_base(self):
        t = self.torch
        dtype_kw = {"dtype": t.bfloat16} if version_tuple(self.transformers.__version__) >= (4, 56) \
            else {"torch_dtype": t.bfloat16}
        t0 = time.perf_counter()
        base = self.AutoModelForCausalLM.from_pretrained(self.manifest["model_dir"], **dtype_kw)
        base.to(self.device)
        base.eval()
        self.sync()
        weight_bytes = sum(p.numel() * p.element_size() for n, p in base.named_parameters() if "embed_tokens" not in n)
        env = self.result.doc["environment"]
        env["attention"] = str(getattr(base.config, "_attn_implementation", "default"))
        env["model_load_s"] = "%.1f" % (time.perf_counter() - t0)
        return base, weight_bytes

    def load_adapters(self, base, upto):
        """Loads adapters [loaded, upto), each timed alone; stops early when the time budget runs out."""
        a = self.manifest["adapters"]
        upto = min(upto, len(a))
        t_all = time.perf_counter()
        while self.loaded < upto:
            if self.deadline.passed():
                self.result.note("adapter loading stopped at %d of %d: the time budget ran out" % (self.loaded, upto))
                break
            i = self.loaded
            self.sync()
            t0 = time.perf_counter()
            try:
                self.load_one(base, a[i])
            except Exception as e:  # noqa: BLE001 - retried once without the optional fast path
                if not self.low_cpu_mem_usage:
                    raise
                log("loading with low_cpu_mem_usage failed (%s: %s); loading without it" % (type(e).__name__, e))
                self.result.note("adapters loaded without low_cpu_mem_usage (it failed: %s)" % e)
                self.low_cpu_mem_usage = False
                if self.model is not None and a[i]["name"] in getattr(self.model, "peft_config", {}):
                    self.model.delete_adapter(a[i]["name"])
                self.sync()
                t0 = time.perf_counter()
                self.load_one(base, a[i])
            self.sync()
            self.load_ms.append((time.perf_counter() - t0) * 1e3)
            self.loaded += 1
            if self.loaded % 100 == 0:
                log("%d adapters loaded" % self.loaded)
        self.load_seconds += time.perf_counter() - t_all
        if self.load_ms:
            self.result.put("adapter_load", pf.adapter_load_figure(self.load_ms, self.loaded, self.load_seconds))
        env = self.result.doc["environment"]
        if self.model is not None and "lora_dtype" not in env:
            for n, p in self.model.named_parameters():
                if "lora_A" in n:
                    env["lora_dtype"] = str(p.dtype)
                    break

    def load_one(self, base, adapter):
        """The first adapter wraps the model (PeftModel.from_pretrained), the others are added (load_adapter)."""
        fast = {"low_cpu_mem_usage": True} if self.low_cpu_mem_usage else {}
        if self.model is None:
            kw = supported(self.PeftModel.from_pretrained, adapter_name=adapter["name"], autocast_adapter_dtype=False,
                           is_trainable=False, **fast)
            self.model = self.PeftModel.from_pretrained(base, adapter["dir"], **kw)
            self.model.eval()
        else:
            kw = supported(self.model.load_adapter, autocast_adapter_dtype=False, is_trainable=False, **fast)
            self.model.load_adapter(adapter["dir"], adapter_name=adapter["name"], **kw)

    def generate(self, input_ids, new_tokens, adapter_names=None, clock=None):
        t = self.torch
        kw = dict(input_ids=input_ids, attention_mask=t.ones_like(input_ids), max_new_tokens=new_tokens,
                  min_new_tokens=new_tokens, do_sample=False, pad_token_id=0)
        if adapter_names is not None:
            kw["adapter_names"] = adapter_names
        if clock is not None:
            kw["logits_processor"] = self.LogitsProcessorList([clock])
        with t.inference_mode():
            out = self.model.generate(**kw)
        return out.shape[1] - input_ids.shape[1]

    def single(self, adapters):
        """One request with a random one of the first `adapters` adapters; its latency in ms."""
        ids = self.prompts.next(self.args.prompt_tokens)
        name = self.names[self.prompts.adapter(adapters)]
        self.sync()
        t0 = time.perf_counter()
        input_ids = self.torch.tensor([ids], device=self.device)
        if self.args.single_mode == "set_adapter":
            if self.model.active_adapter != name:
                self.model.set_adapter(name)
            n = self.generate(input_ids, self.args.new_tokens)
        else:
            n = self.generate(input_ids, self.args.new_tokens, adapter_names=[name])
        self.sync()
        ms = (time.perf_counter() - t0) * 1e3
        if n != self.args.new_tokens:
            raise RuntimeError("generate made %d tokens, %d were asked for" % (n, self.args.new_tokens))
        return ms

    def latency(self, adapters, requests):
        if adapters > self.loaded:
            self.result.note("latency over %d adapters measured over the %d loaded" % (adapters, self.loaded))
            adapters = self.loaded
        for _ in range(self.args.warmup_requests):
            self.single(adapters)
        millis = []
        for _ in range(requests):
            if self.deadline.passed():
                self.result.note("latency over %d adapters: %d of %d requests before the time budget ran out"
                                 % (adapters, len(millis), requests))
                break
            millis.append(self.single(adapters))
        if millis:
            f = pf.latency_figure(adapters, self.args.prompt_tokens, self.args.new_tokens, millis)
            self.result.add_latency(f)
            log("latency over %d adapters: p50 %.1f ms, p99 %.1f ms (%d requests)"
                % (adapters, f["p50_ms"], f["p99_ms"], len(millis)))

    def batch_names(self, batch):
        """One adapter per row: distinct for the first min(batch, throughput_adapters) rows."""
        k = max(1, min(batch, self.args.throughput_adapters, self.loaded))
        return [self.names[i % k] for i in range(batch)]

    def decode_steps(self, weight_bytes, bandwidth):
        floor = pf.floor_ms(weight_bytes, bandwidth["gb_per_s"])
        steps = []
        for batch in sorted({1, self.args.concurrency}):
            names = self.batch_names(batch)
            ids = self.torch.tensor([self.prompts.next(self.args.prompt_tokens) for _ in range(batch)],
                                    device=self.device)
            self.generate(ids, 2, adapter_names=names)  # warm this batch shape
            clock = self.StepClock()
            n = self.generate(ids, self.args.decode_steps + 1, adapter_names=names, clock=clock)
            gaps = pf.step_times(clock.stamps)
            if n != self.args.decode_steps + 1 or not gaps:
                raise RuntimeError("decode at batch %d made %d tokens" % (batch, n))
            f = pf.step_figure(batch, len(set(names)), gaps, floor)
            steps.append(f)
            log("decode at batch %d: median step %.2f ms (%.1fx the floor of %.3f ms)"
                % (batch, f["median_step_ms"], f["over_floor"], floor))
            self.result.put("decode", pf.decode_figure(weight_bytes, bandwidth, steps))

    def throughput(self):
        a = self.args
        total = a.throughput_requests
        done = 0
        generated = 0
        request_ms = []
        t0 = time.perf_counter()
        while done < total:
            if self.deadline.passed():
                self.result.note("throughput: %d of %d requests before the time budget ran out" % (done, total))
                break
            b = min(a.concurrency, total - done)
            ids = self.torch.tensor([self.prompts.next(a.prompt_tokens) for _ in range(b)], device=self.device)
            names = [self.names[self.prompts.adapter(min(a.throughput_adapters, self.loaded))] for _ in range(b)]
            self.sync()
            s0 = time.perf_counter()
            n = self.generate(ids, a.throughput_new_tokens, adapter_names=names)
            self.sync()
            ms = (time.perf_counter() - s0) * 1e3
            request_ms.extend([ms] * b)
            generated += n * b
            done += b
        seconds = time.perf_counter() - t0
        if request_ms:
            f = pf.throughput_figure("static batches of %d through generate(adapter_names=...), no continuous batching"
                                     % a.concurrency, a.concurrency, min(a.throughput_adapters, self.loaded),
                                     a.prompt_tokens, a.throughput_new_tokens, generated, seconds, request_ms)
            self.result.put("throughput", f)
            log("throughput: %.0f tokens/s (%d requests)" % (f["tokens_per_s"], done))

    def warm(self):
        for _ in range(max(1, self.args.warmup_requests)):
            self.single(1)

    # ------------------------------------------------------------------------------------------ the run

    def run(self):
        a = self.args
        self.phase("environment", self.environment)
        state = {}

        def bandwidth():
            state["bandwidth"] = self.bandwidth(a.bandwidth_mib << 20)

        def base():
            state["base"], state["weight_bytes"] = self.load_base()

        self.phase("bandwidth", bandwidth)
        self.phase("base model", base)
        if "base" not in state:
            return
        sweep = pf.sweep(a)
        first = min(len(self.names), max([a.latency_adapters, a.throughput_adapters, min(a.concurrency, 100)]
                                         + [n for n in sweep if n <= a.latency_adapters]))
        self.phase("adapters 1-%d" % first, lambda: self.load_adapters(state["base"], first))
        if self.model is None:
            return
        self.phase("warm-up", self.warm)
        if "bandwidth" in state:
            self.phase("decode steps", lambda: self.decode_steps(state["weight_bytes"], state["bandwidth"]))
        self.phase("latency over %d adapters" % a.latency_adapters,
                   lambda: self.latency(a.latency_adapters, a.latency_requests))
        self.phase("throughput", self.throughput)
        for n in sweep:
            if n < a.latency_adapters:
                self.phase("latency over %d adapters" % n, lambda n=n: self.latency(n, pf.requests_for(a, n)))
        most = [n for n in sweep if n > a.latency_adapters]
        if most:
            self.phase("adapters %d-%d" % (self.loaded + 1, max(most)),
                       lambda: self.load_adapters(state["base"], max(most)))
            for n in most:
                self.phase("latency over %d adapters" % n, lambda n=n: self.latency(n, pf.requests_for(a, n)))


def main(argv=None):
    args = pf.parse_args(argv)
    deadline = pf.Deadline(args.deadline)
    manifest = pf.read_manifest(args.manifest)
    result = pf.Result(args.json, pf.workload(args),
                       "HF transformers + PEFT in one Python process: generate() (greedy, KV cache, eager PyTorch, "
                       "bf16); single requests with " + ("adapter_names=[name]" if args.single_mode == "adapter_names"
                                                         else "set_adapter(name)")
                       + ", mixed batches with adapter_names (no continuous batching)")
    result.write()
    try:
        import torch  # noqa: F401  (checked here so that a missing install is reported in the JSON)
        import transformers  # noqa: F401
        import peft  # noqa: F401
    except ImportError as e:
        result.note("the peer did not run: %s" % e)
        result.write()
        log("cannot import torch, transformers and peft: %s" % e)
        return 2
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        result.note("the peer did not run: torch sees no CUDA device")
        result.write()
        log("torch sees no CUDA device")
        return 2
    peer = Peer(args, manifest, result, deadline)
    peer.run()
    result.write()
    if peer.failed:
        log("phases that failed: " + ", ".join(peer.failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
