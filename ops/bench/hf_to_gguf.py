#!/usr/bin/env python3
"""Writes a Hugging Face Llama checkpoint (and optionally one PEFT LoRA adapter) as GGUF for llama.cpp.

A small stand-in for llama.cpp's convert_hf_to_gguf.py / convert_lora_to_gguf.py, which need torch and
transformers: this one needs numpy and the `gguf` package of the same llama.cpp release (gguf-py in its
source tree). Matrices keep their stored BF16 bits (no rounding), 1-D tensors become F32, the rows of
q_proj/k_proj (and of their lora_B) are permuted to llama.cpp's RoPE layout as convert_hf_to_gguf.py does,
and the vocabulary of tokenizer.json goes in as a SentencePiece-style ("llama") vocabulary (with byte
tokens, renamed from the first ordinary ids where the vocabulary has none): enough for llama-bench,
llama-batched-bench and llama-completion on LoraFleet's synthetic benchmark checkpoint.

usage: hf_to_gguf.py MODEL_DIR OUT.gguf [--adapter ADAPTER_DIR --adapter-out OUT-lora.gguf]
"""
import argparse
import json
import struct
import sys
from pathlib import Path

import numpy as np
import gguf

DTYPES = {"BF16": np.uint16, "F16": np.float16, "F32": np.float32}


def read_safetensors(path):
    """name -> (dtype string, shape, numpy view of the raw data), memory-mapped."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        if t["dtype"] not in DTYPES:
            sys.exit(f"{path}: tensor {name} has dtype {t['dtype']}; only BF16, F16 and F32 are supported")
        a, b = t["data_offsets"]
        data = raw[8 + n + a:8 + n + b].view(DTYPES[t["dtype"]]).reshape(t["shape"])
        out[name] = (t["dtype"], t["shape"], data)
    return out


def model_tensors(model_dir):
    index = model_dir / "model.safetensors.index.json"
    files = sorted(set(json.loads(index.read_text())["weight_map"].values())) if index.exists() else ["model.safetensors"]
    tensors = {}
    for f in files:
        tensors.update(read_safetensors(model_dir / f))
    return tensors


def permute(w, n_head, n_head_kv=None):
    """convert_hf_to_gguf.py's LlamaModel.permute: HF rotate-half rows to llama.cpp's interleaved RoPE rows."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def as_f32(dtype, data):
    if dtype == "BF16":
        return (data.astype(np.uint32) << 16).view(np.float32)
    return data.astype(np.float32)


LAYER_NAMES = {
    "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}


def gguf_name(hf_name):
    if hf_name == "model.embed_tokens.weight":
        return "token_embd.weight"
    if hf_name == "model.norm.weight":
        return "output_norm.weight"
    if hf_name == "lm_head.weight":
        return "output.weight"
    parts = hf_name.split(".")
    if parts[:2] == ["model", "layers"]:
        layer = int(parts[2])
        module = ".".join(parts[3:-1])
        if module in LAYER_NAMES:
            return f"blk.{layer}.{LAYER_NAMES[module]}.{parts[-1]}"
    sys.exit(f"unexpected tensor {hf_name}")


def write_model(model_dir, out, cfg):
    n_head = cfg["num_attention_heads"]
    n_kv = cfg.get("num_key_value_heads", n_head)
    hidden = cfg["hidden_size"]
    head_dim = cfg.get("head_dim") or hidden // n_head
    w = gguf.GGUFWriter(str(out), "llama")
    w.add_name(model_dir.name)
    w.add_context_length(cfg.get("max_position_embeddings", 2048))
    w.add_embedding_length(hidden)
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(n_head)
    w.add_head_count_kv(n_kv)
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(float(cfg.get("rope_theta", 10000.0)))
    w.add_layer_norm_rms_eps(float(cfg.get("rms_norm_eps", 1e-5)))
    w.add_vocab_size(cfg["vocab_size"])
    w.add_file_type(gguf.LlamaFileType.MOSTLY_BF16)

    tok = json.loads((model_dir / "tokenizer.json").read_text())
    vocab = tok["model"]["vocab"]
    if isinstance(vocab, list):  # Unigram: [[piece, score], ...]
        pieces = [p for p, _ in vocab]
    else:
        pieces = [None] * len(vocab)
        for piece, i in vocab.items():
            pieces[i] = piece
    for t in tok.get("added_tokens", []):
        while len(pieces) <= t["id"]:
            pieces.append(None)
        pieces[t["id"]] = t["content"]
    pieces = pieces + [None] * max(0, cfg["vocab_size"] - len(pieces))
    special = {t["id"] for t in tok.get("added_tokens", []) if t.get("special")}
    tokens, scores, types = [], [], []
    names = {p for p in pieces if p is not None}
    # SentencePiece falls back to byte tokens for text it cannot match; a vocabulary without them (as the
    # synthetic one) makes llama.cpp abort on any prompt. The first 256 ordinary ids become <0xNN> then
    # (names only: the weights, and so the speed, do not change).
    need_bytes = not all(f"<0x{b:02X}>" in names for b in range(256))
    next_byte = 0
    for i, p in enumerate(pieces[:cfg["vocab_size"]]):
        kind = (gguf.TokenType.CONTROL if i in special else
                gguf.TokenType.UNUSED if p is None else gguf.TokenType.NORMAL)
        if need_bytes and kind == gguf.TokenType.NORMAL and next_byte < 256:
            p, kind = f"<0x{next_byte:02X}>", gguf.TokenType.BYTE
            next_byte += 1
        tokens.append((p if p is not None else f"[PAD{i}]").encode("utf-8"))
        scores.append(-float(i))
        types.append(kind)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    bos, eos = cfg.get("bos_token_id"), cfg.get("eos_token_id")
    if isinstance(eos, list):
        eos = eos[0]
    if bos is not None:
        w.add_bos_token_id(bos)
    if eos is not None:
        w.add_eos_token_id(eos)
    unk = vocab.get(tok["model"].get("unk_token")) if isinstance(vocab, dict) else None
    if unk is not None:
        w.add_unk_token_id(unk)

    tensors = model_tensors(model_dir)
    if "lm_head.weight" not in tensors and not cfg.get("tie_word_embeddings", False):
        sys.exit(f"{model_dir}: no lm_head.weight and embeddings are not tied")
    for name in sorted(tensors, key=order):
        dtype, shape, data = tensors[name]
        g = gguf_name(name)
        if len(shape) == 1:
            w.add_tensor(g, as_f32(dtype, data))
            continue
        if name.endswith("q_proj.weight"):
            data = permute(data, n_head, n_head)
        elif name.endswith("k_proj.weight"):
            data = permute(data, n_head, n_kv)
        if dtype == "BF16":
            w.add_tensor(g, np.ascontiguousarray(data), raw_dtype=gguf.GGMLQuantizationType.BF16)
        else:
            w.add_tensor(g, np.ascontiguousarray(data))
    finish(w)


def order(name):
    parts = name.split(".")
    if parts[:2] == ["model", "layers"]:
        return (1, int(parts[2]), name)
    return (0 if "embed" in name else 2, 0, name)


def write_adapter(adapter_dir, out, cfg):
    acfg = json.loads((adapter_dir / "adapter_config.json").read_text())
    for key in ("use_dora", "use_rslora"):
        if acfg.get(key):
            sys.exit(f"{adapter_dir}: {key} adapters are not supported here")
    if acfg.get("rank_pattern") or acfg.get("alpha_pattern"):
        sys.exit(f"{adapter_dir}: rank_pattern/alpha_pattern are not supported here")
    n_head = cfg["num_attention_heads"]
    n_kv = cfg.get("num_key_value_heads", n_head)
    w = gguf.GGUFWriter(str(out), "llama")
    w.add_type(gguf.GGUFType.ADAPTER)
    w.add_string(gguf.Keys.Adapter.TYPE, "lora")
    w.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(acfg["lora_alpha"]))
    tensors = read_safetensors(adapter_dir / "adapter_model.safetensors")
    for name in sorted(tensors, key=lambda n: order(n.removeprefix("base_model.model."))):
        dtype, shape, data = tensors[name]
        base = name.removeprefix("base_model.model.")
        if ".lora_A.weight" in base:
            g = gguf_name(base.replace(".lora_A.weight", ".weight")) + ".lora_a"
            w.add_tensor(g, np.ascontiguousarray(as_f32(dtype, data)))
        elif ".lora_B.weight" in base:
            g = gguf_name(base.replace(".lora_B.weight", ".weight")) + ".lora_b"
            data = as_f32(dtype, data)
            if ".q_proj." in base:
                data = permute(data, n_head, n_head)
            elif ".k_proj." in base:
                data = permute(data, n_head, n_kv)
            w.add_tensor(g, np.ascontiguousarray(data))
        else:
            sys.exit(f"{adapter_dir}: unexpected tensor {name}")
    finish(w)


def finish(w):
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model_dir", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--adapter", type=Path)
    ap.add_argument("--adapter-out", type=Path)
    a = ap.parse_args()
    cfg = json.loads((a.model_dir / "config.json").read_text())
    if cfg.get("model_type") != "llama":
        sys.exit(f"{a.model_dir}: model_type {cfg.get('model_type')!r}, not llama")
    write_model(a.model_dir, a.out, cfg)
    if a.adapter:
        if not a.adapter_out:
            sys.exit("--adapter needs --adapter-out")
        write_adapter(a.adapter, a.adapter_out, cfg)


if __name__ == "__main__":
    main()
