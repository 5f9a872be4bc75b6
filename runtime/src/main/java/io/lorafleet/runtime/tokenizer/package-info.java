/**
 * Text in and out of the model, with the semantics of the Hugging Face libraries.
 *
 * <ul>
 *   <li>{@link io.lorafleet.runtime.tokenizer.HfTokenizer} loads a model directory's {@code
 *       tokenizer.json} into the native HF {@code tokenizers} library through DJL ({@code
 *       HuggingFaceTokenizer.newInstance(Path, Map)} with truncation and padding off; special tokens per
 *       call, as the {@code tokenizer.json} post-processor defines them), and reads what DJL does not
 *       expose from the JSON files: token strings, which added tokens are special, BOS/EOS/PAD ids
 *       ({@code tokenizer_config.json}, {@code generation_config.json}, {@code config.json}) and the chat
 *       template.
 *   <li>{@code TransformersLoading} first redoes on the {@code tokenizer.json} what {@code
 *       transformers.AutoTokenizer} (transformers 5) does when it loads it, so that the ids are those vLLM
 *       and SGLang get: for {@code tokenizer_class} {@code LlamaTokenizer}, {@code GemmaTokenizer} and {@code
 *       Qwen2Tokenizer} (with or without {@code Fast}) transformers keeps only the file's vocabulary, merges,
 *       post-processor and added tokens and builds normalizer, pre-tokenizer, decoder and BPE options in code.
 *       For {@code LlamaTokenizer} that replaces the legacy normalizer (prepend ▁, replace spaces) by a
 *       Metaspace pre-tokenizer ({@code split=false}; prepend scheme {@code first}, or {@code always} with
 *       {@code legacy: true}, or {@code never} with {@code add_prefix_space: false}), which changes the ids of
 *       text with leading spaces and of text after special tokens. {@code add_bos_token}/{@code add_eos_token}
 *       are ignored, as transformers ignores them when a {@code tokenizer.json} exists; the other classes
 *       transformers rebuilds in code are loaded as written with a warning. Checked against transformers
 *       5.18 on five real tokenizers (TransformersParityTest).
 *   <li>{@link io.lorafleet.runtime.tokenizer.IncrementalDecoder} turns generated ids into text deltas
 *       for streaming, decoding only a short window per token and never emitting half a character; the
 *       deltas add up to a full decode.
 *   <li>{@link io.lorafleet.runtime.tokenizer.TokenBytes} gives the bytes each token adds to the decoded text
 *       (byte-level BPE, SentencePiece with byte fallback, space-joined), as the {@code tokenizer.json}
 *       decoder defines them, for constrained decoding; checked against the library's own decoding.
 *   <li>{@link io.lorafleet.runtime.tokenizer.ChatTemplate} renders HF chat templates with Jinjava,
 *       configured and source-adjusted to behave like the jinja2 environment of {@code
 *       apply_chat_template} ({@code trim_blocks}, {@code lstrip_blocks}, jinja2 precedence and
 *       whitespace control, Python string methods, HF's {@code tojson}, {@code raise_exception}).
 *       Checked against Python jinja2 on Llama-2/3, Mistral, Zephyr, ChatML, Gemma, Phi-3 and
 *       Llama-3.1/Qwen-shaped templates. Known differences: printed booleans, {@code none}, lists and
 *       dicts use Java forms ({@code true}, empty, {@code [a, b]}); only the {@code [::-1]} slice step is
 *       supported; loop filters ({@code for x in xs if c}) and unknown filters are reported as errors
 *       instead of rendering wrongly.
 * </ul>
 *
 * <p><b>DJL must stay offline.</b> DJL phones home (a cloud metadata address and a telemetry host) and,
 * when it sees a GPU, downloads a CUDA build of its native library, unless told not to. {@code
 * HfTokenizer}'s static initializer sets the system properties {@code ai.djl.offline=true} and {@code
 * OPT_OUT_TRACKING=true} when they are unset (DJL reads both lazily, the latter as environment variable
 * first, then system property), which covers every use that goes through this package. Launchers should
 * still pass {@code -Dai.djl.offline=true} and export {@code OPT_OUT_TRACKING=true} so that nothing else
 * touching DJL first can reach out, must not export {@code DJL_OFFLINE=false} (the environment variable
 * wins over the property), and may export {@code DJL_CACHE_DIR} to choose where the native library is
 * extracted (default {@code ~/.djl.ai}).
 */
package io.lorafleet.runtime.tokenizer;
