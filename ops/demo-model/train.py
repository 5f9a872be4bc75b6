"""Trains the LoraFleet demo model: tokenizer, Llama base, six PEFT LoRA task adapters; exports
them in Hugging Face format and evaluates held-out exact match. Deterministic (fixed seeds, 2 threads).

  /tmp/demo-venv/bin/python ops/demo-model/train.py --out models/demo

See ops/demo-model/README.md.
"""

import argparse
import json
import math
import os
import random
import resource
import shutil
import sys
import time
from pathlib import Path

# Passive OpenMP waits: on a shared, loaded CPU, spinning threads burn several times the CPU time of the work.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tasks  # noqa: E402

SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
            "<|eot_id|>", "<|pad|>"]
SPLIT_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")
CHAT_TEMPLATE = ("{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
                 "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim"
                 " + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
                 "{{ content }}{% endfor %}{% if add_generation_prompt %}"
                 "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")

# name, r, lora_alpha, use_rslora, target_modules: different ranks and targets on purpose.
ADAPTERS = [
    ("uppercase", 8, 16, False, ["q_proj", "v_proj", "o_proj"]),
    ("title-case", 4, 8, False, ["q_proj", "k_proj", "v_proj", "o_proj"]),
    ("pig-latin", 16, 32, False, ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
    ("extract-json", 8, 16, False, ["q_proj", "v_proj", "gate_proj", "down_proj"]),
    ("spell-numbers", 16, 8, True, ["q_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
    ("leetspeak", 8, 8, False, ["v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
]
METADATA_FILE = "lorafleet-adapter.json"
# The base model's directory: its name is the model name clients use.
BASE_DIR = "lorafleet-demo"


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# ---------------- tokenizer ----------------

def train_tokenizer(model_dir, corpus_texts, vocab_size):
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(SPLIT_REGEX), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size - len(SPECIALS), min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[])
    tok.train_from_iterator(corpus_texts, trainer=trainer)
    tok.add_special_tokens(SPECIALS)
    bos = tok.token_to_id(SPECIALS[0])
    tok.post_processor = processors.TemplateProcessing(
        single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|>:1 $B:1",
        special_tokens=[("<|begin_of_text|>", bos)])
    model_dir.mkdir(parents=True, exist_ok=True)
    tok.save(str(model_dir / "tokenizer.json"))
    ids = {s: tok.token_to_id(s) for s in SPECIALS}
    config = {
        "add_bos_token": True, "add_eos_token": False,
        "added_tokens_decoder": {str(ids[s]): {"content": s, "lstrip": False, "normalized": False, "rstrip": False,
                                               "single_word": False, "special": True} for s in SPECIALS},
        "bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "pad_token": "<|pad|>",
        "chat_template": CHAT_TEMPLATE, "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"], "model_max_length": 2048,
        "tokenizer_class": "PreTrainedTokenizerFast",
    }
    (model_dir / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    return tok, ids


class Encoder:
    def __init__(self, tok, ids):
        self.tok, self.ids = tok, ids

    def chat_prompt(self, user):
        i = self.ids
        return ([i["<|begin_of_text|>"], i["<|start_header_id|>"]] + self.tok.encode("user", add_special_tokens=False).ids
                + [i["<|end_header_id|>"]] + self.tok.encode("\n\n" + user.strip(), add_special_tokens=False).ids
                + [i["<|eot_id|>"], i["<|start_header_id|>"]]
                + self.tok.encode("assistant", add_special_tokens=False).ids + [i["<|end_header_id|>"]]
                + self.tok.encode("\n\n", add_special_tokens=False).ids)

    def example(self, ex):
        """(input_ids, labels); loss on the document, or on the assistant answer only."""
        if ex[0] == "text":
            ids = ([self.ids["<|begin_of_text|>"]] + self.tok.encode(ex[1], add_special_tokens=False).ids
                   + [self.ids["<|end_of_text|>"]])
            return ids, [-100] + ids[1:]
        prompt = self.chat_prompt(ex[1])
        answer = self.tok.encode(ex[2], add_special_tokens=False).ids + [self.ids["<|eot_id|>"]]
        return prompt + answer, [-100] * len(prompt) + answer


def batches(examples, batch_size, rng, pad_id):
    """Endless stream of padded batches; similar lengths grouped to cut padding."""
    while True:
        order = list(range(len(examples)))
        rng.shuffle(order)
        chunk = batch_size * 32
        for s in range(0, len(order), chunk):
            part = sorted(order[s:s + chunk], key=lambda k: len(examples[k][0]))
            groups = [part[g:g + batch_size] for g in range(0, len(part), batch_size)]
            rng.shuffle(groups)
            for g in groups:
                if len(g) < batch_size:
                    continue
                width = max(len(examples[k][0]) for k in g)
                inp = torch.full((len(g), width), pad_id, dtype=torch.long)
                lab = torch.full((len(g), width), -100, dtype=torch.long)
                att = torch.zeros((len(g), width), dtype=torch.long)
                for r, k in enumerate(g):
                    ids, labels = examples[k]
                    inp[r, :len(ids)] = torch.tensor(ids)
                    lab[r, :len(ids)] = torch.tensor(labels)
                    att[r, :len(ids)] = 1
                yield inp, lab, att


def train_loop(model, params, examples, steps, batch_size, lr, seed, pad_id, label):
    rng = random.Random(seed)
    opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.98), weight_decay=0.0)
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, s / steps)))))
    model.train()
    stream = batches(examples, batch_size, rng, pad_id)
    t0, avg = time.time(), None
    for step in range(steps):
        inp, lab, att = next(stream)
        loss = model(input_ids=inp, attention_mask=att, labels=lab).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        avg = loss.item() if avg is None else 0.95 * avg + 0.05 * loss.item()
        if step % 50 == 0 or step == steps - 1:
            log(f"{label} step {step}/{steps} loss {avg:.4f} ({time.time() - t0:.0f} s)")
    model.eval()
    return avg


def to_bf16(path):
    """Stores an adapter's weights in bf16 (half the bytes; the engine and PEFT upcast them exactly)."""
    from safetensors.torch import load_file, save_file
    tensors = {k: v.to(torch.bfloat16).contiguous() for k, v in load_file(str(path)).items()}
    save_file(tensors, str(path), metadata={"format": "pt"})


# ---------------- generation / evaluation ----------------

@torch.no_grad()
def greedy(model, prompts, eos_ids, pad_id, max_new):
    """Greedy continuation ids (stop token excluded) for each prompt, batched with left padding."""
    out = []
    for s in range(0, len(prompts), 32):
        part = prompts[s:s + 32]
        width = max(len(p) for p in part)
        inp = torch.tensor([[pad_id] * (width - len(p)) + p for p in part])
        att = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in part])
        gen = model.generate(input_ids=inp, attention_mask=att, max_new_tokens=max_new, do_sample=False,
                             eos_token_id=eos_ids, pad_token_id=pad_id)
        for row in gen[:, width:].tolist():
            ids = []
            for t in row:
                if t in eos_ids or t == pad_id:
                    break
                ids.append(t)
            out.append(ids)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="models/demo")
    ap.add_argument("--vocab", type=int, default=512)
    ap.add_argument("--hidden", type=int, default=192)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--base-examples", type=int, default=30000)
    ap.add_argument("--base-steps", type=int, default=900)
    ap.add_argument("--adapter-examples", type=int, default=12000)
    ap.add_argument("--adapter-steps", type=int, default=600)
    ap.add_argument("--batch", type=int, default=24)
    ap.add_argument("--eval", type=int, default=200, help="held-out prompts per adapter")
    ap.add_argument("--parity", type=int, default=40, help="held-out prompts per adapter written for parity")
    ap.add_argument("--parity-out", default=None, help="file for transformers' greedy ids (parity test resource)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-only", action="store_true",
                    help="evaluate OUT as it is (no training); keeps the training times of OUT/training-report.json")
    ap.add_argument("--reuse-base", action="store_true",
                    help="keep OUT/model (tokenizer and base) from an earlier run; train the adapters again")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    random.seed(0)
    from transformers import LlamaConfig, LlamaForCausalLM, AutoModelForCausalLM
    from peft import LoraConfig, PeftModel, get_peft_model

    out = Path(args.out)
    model_dir, adapters_dir = out / BASE_DIR, out / "adapters"
    if args.eval_only:
        pass
    elif args.reuse_base:
        shutil.rmtree(adapters_dir, ignore_errors=True)
    elif out.exists():
        shutil.rmtree(out)
    wall0, cpu0 = time.time(), cpu_seconds()
    timing = {}

    # 1. corpus + tokenizer
    rng = random.Random(1)
    base_raw = [tasks.base_example(rng) for _ in range(args.base_examples)]
    tok_texts = [" ".join(e[1:]) for e in base_raw]
    if args.reuse_base or args.eval_only:
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        ids = {s: tok.token_to_id(s) for s in SPECIALS}
    else:
        tok, ids = train_tokenizer(model_dir, tok_texts, args.vocab)
    enc = Encoder(tok, ids)
    pad_id, eos_ids = ids["<|pad|>"], [ids["<|end_of_text|>"], ids["<|eot_id|>"]]
    vocab = math.ceil(tok.get_vocab_size() / 64) * 64
    base_examples = [enc.example(e) for e in base_raw]
    log(f"tokenizer: {tok.get_vocab_size()} tokens; base corpus {len(base_examples)} examples, "
        f"{sum(len(e[0]) for e in base_examples)} tokens")
    timing["tokenizer_cpu_s"] = cpu_seconds() - cpu0

    if args.eval_only:
        timing = json.loads((out / "training-report.json").read_text())["timing"]
    else:
        train(args, out, model_dir, adapters_dir, tok, ids, pad_id, eos_ids, vocab, base_examples, enc, timing,
              cpu0, wall0)
    evaluate(args, out, model_dir, adapters_dir, tok, enc, pad_id, eos_ids, timing)


def train(args, out, model_dir, adapters_dir, tok, ids, pad_id, eos_ids, vocab, base_examples, enc, timing, cpu0,
          wall0):
    from transformers import LlamaConfig, LlamaForCausalLM, AutoModelForCausalLM
    from peft import LoraConfig, get_peft_model
    # 2. base model from scratch
    c1 = cpu_seconds()
    cfg = LlamaConfig(vocab_size=vocab, hidden_size=args.hidden, intermediate_size=args.hidden * 3,
                      num_hidden_layers=args.layers, num_attention_heads=args.hidden // 32, num_key_value_heads=2,
                      head_dim=32, hidden_act="silu", max_position_embeddings=2048, rms_norm_eps=1e-5,
                      rope_theta=10000.0, tie_word_embeddings=False, attention_bias=False, mlp_bias=False,
                      bos_token_id=ids["<|begin_of_text|>"], eos_token_id=eos_ids, pad_token_id=pad_id,
                      initializer_range=0.02)
    torch.manual_seed(0)
    if args.reuse_base:
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    else:
        model = LlamaForCausalLM(cfg)
        log(f"base: {sum(p.numel() for p in model.parameters())} parameters")
        train_loop(model, list(model.parameters()), base_examples, args.base_steps, args.batch, 3e-3, 2, pad_id,
                   "base")
        model = model.to(torch.bfloat16)  # what is served: adapters are trained against the rounded weights
        model.generation_config.pad_token_id = pad_id
        model.generation_config.do_sample = False
        model.save_pretrained(model_dir, safe_serialization=True)
        model = model.to(torch.float32)
    timing["base_cpu_s"] = cpu_seconds() - c1

    # 3. adapters
    timing["adapters_cpu_s"] = {}
    for k, (name, r, alpha, rslora, targets) in enumerate(ADAPTERS):
        c2 = cpu_seconds()
        arng = random.Random(100 + k)
        raw = []
        for _ in range(args.adapter_examples):
            text, fields = tasks.task_input(arng)
            raw.append(("chat", text, tasks.answer(name, text, fields)))
        examples = [enc.example(e) for e in raw]
        torch.manual_seed(100 + k)
        lcfg = LoraConfig(r=r, lora_alpha=alpha, use_rslora=rslora, target_modules=targets, lora_dropout=0.0,
                          bias="none", task_type="CAUSAL_LM")
        peft_model = get_peft_model(model, lcfg)
        params = [p for p in peft_model.parameters() if p.requires_grad]
        train_loop(peft_model, params, examples, args.adapter_steps, args.batch, 5e-3, 200 + k, pad_id, name)
        d = adapters_dir / name
        peft_model.save_pretrained(d, safe_serialization=True)
        to_bf16(d / "adapter_model.safetensors")
        cfgj = json.loads((d / "adapter_config.json").read_text())
        cfgj["base_model_name_or_path"] = "../../" + BASE_DIR
        (d / "adapter_config.json").write_text(json.dumps(cfgj, indent=2, sort_keys=True) + "\n")
        (d / METADATA_FILE).write_text(json.dumps(
            {"task": name, "description": tasks.TASKS[name][1]}, indent=2) + "\n")
        for extra in d.glob("README.md"):
            extra.unlink()
        model = peft_model.unload()
        timing["adapters_cpu_s"][name] = cpu_seconds() - c2

    timing["training_cpu_s"] = cpu_seconds() - cpu0
    timing["training_wall_s"] = time.time() - wall0


def evaluate(args, out, model_dir, adapters_dir, tok, enc, pad_id, eos_ids, timing):
    from transformers import AutoModelForCausalLM
    from peft import PeftModel
    # 4. evaluation on the exported files, as served
    c3 = cpu_seconds()
    erng = random.Random(7)
    held = [tasks.task_input(erng, held_out=True) for _ in range(args.eval)]
    prompts = [enc.chat_prompt(t) for t, _ in held]
    results, parity = {}, []
    max_new = 100
    base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    base.eval()
    base_outs = greedy(base, prompts[:args.parity], eos_ids, pad_id, max_new)
    for (t, _), o in zip(held, base_outs):
        parity.append({"adapter": None, "prompt": t, "completion": tok.decode(o), "token_ids": o})
    for name, r, alpha, rslora, targets in ADAPTERS:
        base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
        pm = PeftModel.from_pretrained(base, adapters_dir / name)
        pm.eval()
        outs = greedy(pm, prompts, eos_ids, pad_id, max_new)
        correct, wrong = 0, []
        for (t, f), o in zip(held, outs):
            got, want = tok.decode(o), tasks.answer(name, t, f)
            if got == want:
                correct += 1
            elif len(wrong) < 5:
                wrong.append({"input": t, "expected": want, "got": got})
        results[name] = {"r": r, "lora_alpha": alpha, "use_rslora": rslora, "target_modules": targets,
                         "held_out": len(held), "exact_match": correct, "accuracy": correct / len(held),
                         "examples_wrong": wrong}
        log(f"eval {name}: {correct}/{len(held)}")
        for (t, _), o in list(zip(held, outs))[:args.parity]:
            parity.append({"adapter": name, "prompt": t, "completion": tok.decode(o), "token_ids": o})
    timing["eval_cpu_s"] = cpu_seconds() - c3
    timing["load_average_at_end"] = os.getloadavg()
    command = " ".join(["python", "ops/demo-model/train.py"] + sys.argv[1:])
    if args.eval_only:
        command = json.loads((out / "training-report.json").read_text())["command"]
    summary = {"command": command,
               "torch_threads": args.threads, "timing": timing, "adapters": results}
    (out / "training-report.json").write_text(json.dumps(summary, indent=2) + "\n")
    if args.parity_out:
        Path(args.parity_out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.parity_out).write_text(json.dumps({"model": str(model_dir), "max_new_tokens": max_new,
                                                     "cases": parity}, indent=1) + "\n")
    log(json.dumps(timing))
    for name, res in results.items():
        log(f"{name}: {res['accuracy']:.3f}")


if __name__ == "__main__":
    main()
