"""Greedy outputs of transformers + PEFT on the exported demo model, for LoraFleet's parity test.

  /tmp/demo-venv/bin/python ops/demo-model/parity.py --demo models/demo \
      --out runtime/src/test/resources/demo-parity.json.gz

For N held-out prompts per adapter (and for the base model without adapter): the chat prompt as
transformers' tokenizer renders and encodes it (apply_chat_template, add_generation_prompt) and the
greedy continuation ids up to the first stop token (excluded), float32 on the stored bf16 weights.
Independent of train.py's own prompt encoding: only transformers' tokenizer and the files are used.
"""

import argparse
import gzip
import json
import os
import random
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tasks  # noqa: E402
from train import BASE_DIR, greedy  # noqa: E402  (the same decoding as the evaluation)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--demo", default="models/demo")
    ap.add_argument("--out", required=True)
    ap.add_argument("--per-adapter", type=int, default=40)
    ap.add_argument("--max-new-tokens", type=int, default=100)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    torch.set_num_threads(2)
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from peft import PeftModel

    demo = Path(args.demo)
    model_dir = demo / BASE_DIR
    tok = AutoTokenizer.from_pretrained(model_dir)
    gen_cfg = json.loads((model_dir / "generation_config.json").read_text())
    eos_ids = gen_cfg["eos_token_id"] if isinstance(gen_cfg["eos_token_id"], list) else [gen_cfg["eos_token_id"]]
    pad_id = tok.pad_token_id
    rng = random.Random(args.seed)
    names = [None] + sorted(p.name for p in (demo / "adapters").iterdir() if p.is_dir())
    cases = []
    for name in names:
        inputs = [tasks.task_input(rng, held_out=True)[0] for _ in range(args.per_adapter)]
        prompts = [tok(tok.apply_chat_template([{"role": "user", "content": t}], add_generation_prompt=True,
                                               tokenize=False), add_special_tokens=False)["input_ids"]
                   for t in inputs]
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
        if name is not None:
            model = PeftModel.from_pretrained(model, demo / "adapters" / name)
        model.eval()
        outs = greedy(model, prompts, eos_ids, pad_id, args.max_new_tokens)
        for t, p, o in zip(inputs, prompts, outs):
            cases.append({"adapter": name, "prompt": t, "prompt_token_ids": p, "token_ids": o,
                          "text": tok.decode(o), "finished": len(o) < args.max_new_tokens})
        print(f"{name or '(base)'}: {len(outs)} prompts", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({
        "generated_by": "ops/demo-model/parity.py (transformers + peft, float32 on the bf16 weights, greedy)",
        "max_new_tokens": args.max_new_tokens, "cases": cases}, separators=(",", ":")) + "\n"
    if args.out.endswith(".gz"):
        Path(args.out).write_bytes(gzip.compress(text.encode(), compresslevel=9, mtime=0))
    else:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
