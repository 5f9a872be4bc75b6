"""Unit tests of the peer's torch-free parts: python3 -m unittest discover -s ops/gpu -p 'test_*.py'."""

import json
import math
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_figures as pf  # noqa: E402
import peft_peer  # noqa: E402  (must import without torch)


class QuantileTest(unittest.TestCase):
    # The same vectors as the tools' LatencyHistogramTest: both sides must agree.
    def test_nearest_rank(self):
        values = [float(v) for v in range(1, 11)]
        self.assertEqual(pf.quantile(values, 0.5), 5.0)
        self.assertEqual(pf.quantile(values, 0.99), 10.0)
        self.assertEqual(pf.quantile(values, 0.9), 9.0)
        self.assertEqual(pf.quantile(values, 0.0), 1.0)
        self.assertEqual(pf.quantile(values, 1.0), 10.0)

    def test_order_does_not_matter_and_one_value_is_every_quantile(self):
        self.assertEqual(pf.quantile([30.0, 10.0, 20.0], 0.25), 10.0)
        self.assertEqual(pf.quantile([30.0, 10.0, 20.0], 0.5), 20.0)
        self.assertEqual(pf.quantile([7.0], 0.99), 7.0)

    def test_bad_input(self):
        with self.assertRaises(ValueError):
            pf.quantile([], 0.5)
        with self.assertRaises(ValueError):
            pf.quantile([1.0], 1.5)


class FiguresTest(unittest.TestCase):
    def test_latency_figure(self):
        f = pf.latency_figure(100, 70, 10, [400.0, 420.0, 410.0, 1000.0])
        self.assertEqual(f["requests"], 4)
        self.assertEqual(f["p50_ms"], 410.0)  # nearest rank: the 2nd of 4
        self.assertAlmostEqual(f["mean_ms"], 557.5)
        self.assertEqual((f["min_ms"], f["max_ms"]), (400.0, 1000.0))
        self.assertEqual(set(f), {"adapters", "requests", "prompt_tokens", "new_tokens", "p50_ms", "p99_ms",
                                  "mean_ms", "min_ms", "max_ms"})

    def test_throughput_is_tokens_over_seconds(self):
        f = pf.throughput_figure("static", 64, 100, 70, 32, 4096, 8.0, [8000.0] * 128)
        self.assertEqual(f["tokens_per_s"], 512.0)
        self.assertEqual(f["requests"], 128)

    def test_copy_rate_counts_read_and_write(self):
        # 1 GB copied 10 times in 10 ms: 2 * 10 GB / 0.01 s = 2000 GB/s
        self.assertAlmostEqual(pf.copy_rate_gb_per_s(10**9, 10, 10.0), 2000.0)
        with self.assertRaises(ValueError):
            pf.copy_rate_gb_per_s(1, 1, 0.0)

    def test_floor_and_steps(self):
        self.assertAlmostEqual(pf.floor_ms(2 * 10**9, 2000.0), 1.0)
        gaps = pf.step_times([1.0, 1.002, 1.005])
        self.assertEqual(len(gaps), 2)
        self.assertAlmostEqual(gaps[0], 2.0, places=6)
        self.assertAlmostEqual(gaps[1], 3.0, places=6)
        s = pf.step_figure(1, 1, [2.0, 3.0, 4.0], 1.0)
        self.assertEqual((s["steps"], s["median_step_ms"], s["over_floor"]), (3, 3.0, 3.0))
        d = pf.decode_figure(2 * 10**9, pf.bandwidth_figure("copy", 1 << 20, [1000.0, 2000.0]), [s])
        self.assertAlmostEqual(d["floor_ms"], 1.0)
        self.assertEqual(d["bandwidth"]["gb_per_s"], 2000.0)

    def test_adapter_load_has_no_split(self):
        f = pf.adapter_load_figure([10.0, 30.0, 20.0], 3, 0.5)
        self.assertIsNone(f["disk_to_host_p50_ms"])
        self.assertEqual(f["total_p50_ms"], 20.0)
        self.assertEqual(f["timed"], 3)


class ArgsTest(unittest.TestCase):
    def test_defaults_are_the_reference_workload(self):
        a = pf.parse_args(["--manifest", "m", "--json", "j"])
        self.assertEqual((a.prompt_tokens, a.new_tokens, a.latency_adapters, a.latency_requests), (70, 10, 100, 200))
        self.assertEqual(a.adapter_counts, [1, 10, 100, 1000])
        self.assertEqual(a.concurrency, 64)
        self.assertEqual(a.single_mode, "adapter_names")
        self.assertIsNone(a.deadline)
        self.assertEqual(tuple(pf.workload(a)), pf.WORKLOAD_KEYS)

    def test_lists_and_sweep(self):
        a = pf.parse_args(["--manifest", "m", "--json", "j", "--adapter-counts", "1000,1,10", "--latency-adapters", "50"])
        self.assertEqual(a.adapter_counts, [1, 10, 1000])
        self.assertEqual(pf.sweep(a), [1, 10, 50, 1000])
        self.assertEqual(pf.requests_for(a, 50), a.latency_requests)
        self.assertEqual(pf.requests_for(a, 10), a.sweep_requests)

    def test_rejects_nonsense(self):
        for bad in (["--concurrency", "0"], ["--adapter-counts", "x"], ["--prompt-tokens", "1"],
                    ["--single-mode", "merge"]):
            with self.assertRaises(SystemExit):
                with open(os.devnull, "w") as devnull:
                    old, sys.stderr = sys.stderr, devnull
                    try:
                        pf.parse_args(["--manifest", "m", "--json", "j"] + bad)
                    finally:
                        sys.stderr = old


class RunPartsTest(unittest.TestCase):
    def test_deadline(self):
        now = [100.0]
        d = pf.Deadline(110.0, clock=lambda: now[0], margin=5.0)
        self.assertFalse(d.passed())
        now[0] = 105.5
        self.assertTrue(d.passed())
        self.assertEqual(pf.Deadline().remaining(), math.inf)

    def test_prompts(self):
        p = pf.Prompts(6, 32000, 1)
        ids = p.next(70)
        self.assertEqual(len(ids), 70)
        self.assertEqual(ids[0], 1)
        self.assertTrue(all(3 <= t < 32000 for t in ids[1:]))
        self.assertEqual(pf.Prompts(6, 32000, 1).next(70), ids)
        self.assertTrue(all(0 <= p.adapter(7) < 7 for _ in range(100)))

    def test_manifest(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.json")
            with open(path, "w") as f:
                json.dump({"model_dir": "/m", "vocab_size": 32000, "bos_token_id": 1,
                           "adapters": [{"name": "lora-00", "dir": "/a/lora-00"}]}, f)
            self.assertEqual(pf.read_manifest(path)["adapters"][0]["name"], "lora-00")
            with open(path, "w") as f:
                json.dump({"model_dir": "/m"}, f)
            with self.assertRaises(ValueError):
                pf.read_manifest(path)

    def test_result_is_written_whole_and_refuses_nan(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "sub", "peer.json")
            a = pf.parse_args(["--manifest", "m", "--json", path])
            r = pf.Result(path, pf.workload(a), "test")
            r.add_latency(pf.latency_figure(100, 70, 10, [1.0]))
            r.add_latency(pf.latency_figure(1, 70, 10, [2.0]))
            r.add_latency(pf.latency_figure(100, 70, 10, [3.0]))
            r.note("n")
            r.write()
            with open(path) as f:
                doc = json.load(f)
            self.assertEqual([x["adapters"] for x in doc["latency"]], [1, 100])
            self.assertEqual(doc["latency"][1]["p50_ms"], 3.0)
            self.assertEqual(set(doc), {"system", "description", "environment", "workload", "latency", "throughput",
                                        "decode", "adapter_load", "profile", "notes"})
            self.assertEqual(os.listdir(os.path.dirname(path)), ["peer.json"])
            r.put("throughput", {"tokens_per_s": float("nan")})
            with self.assertRaises(ValueError):
                r.write()
            self.assertEqual(os.listdir(os.path.dirname(path)), ["peer.json"], "no temporary file is left")

    def test_sample_has_every_figure(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "sample.json")
            pf.sample(path)
            with open(path) as f:
                doc = json.load(f)
            for key in ("throughput", "decode", "adapter_load"):
                self.assertIsNotNone(doc[key], key)
            self.assertEqual(doc["system"], "peft")


class PeerScriptTest(unittest.TestCase):
    def test_supported_keeps_only_named_parameters(self):
        def load(model_id, adapter_name="default", low_cpu_mem_usage=False, **kwargs):
            return None

        self.assertEqual(peft_peer.supported(load, low_cpu_mem_usage=True, autocast_adapter_dtype=False),
                         {"low_cpu_mem_usage": True})

    def test_version_tuple(self):
        self.assertEqual(peft_peer.version_tuple("4.57.1"), (4, 57, 1))
        self.assertEqual(peft_peer.version_tuple("5.0.0rc1"), (5, 0, 0))
        self.assertGreaterEqual(peft_peer.version_tuple("4.56.0.dev0"), (4, 56))
        self.assertLess(peft_peer.version_tuple("4.46.3"), (4, 56))

    def test_main_reports_a_missing_torch_in_its_json(self):
        try:
            import torch  # noqa: F401
            self.skipTest("torch is installed here")
        except ImportError:
            pass
        with tempfile.TemporaryDirectory() as d:
            manifest = os.path.join(d, "m.json")
            with open(manifest, "w") as f:
                json.dump({"model_dir": "/m", "vocab_size": 32000, "bos_token_id": 1,
                           "adapters": [{"name": "lora-00", "dir": "/a/lora-00"}]}, f)
            out = os.path.join(d, "peer.json")
            with open(os.devnull, "w") as devnull:
                old, sys.stderr = sys.stderr, devnull
                try:
                    rc = peft_peer.main(["--manifest", manifest, "--json", out])
                finally:
                    sys.stderr = old
            self.assertEqual(rc, 2)
            with open(out) as f:
                doc = json.load(f)
            self.assertIn("did not run", doc["notes"][0])


if __name__ == "__main__":
    unittest.main()
