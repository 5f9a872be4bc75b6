/**
 * Constrained decoding (structured output): a request's output must be any JSON object, an instance of a
 * JSON Schema, or a full match of a regular expression, and the engine only ever samples tokens that keep it
 * so.
 *
 * <h2>From a constraint to a DFA (once per constraint, cached)</h2>
 * {@link io.lorafleet.runtime.constrain.OutputConstraint} is what the request gave (kind and source text; it
 * crosses nodes as is). {@link io.lorafleet.runtime.constrain.ConstraintCompiler} turns it into a
 * {@link io.lorafleet.runtime.constrain.ByteDfa}: {@link io.lorafleet.runtime.constrain.JsonSchemaRegex}
 * (a JSON Schema as a regular expression over its instances' JSON text, the outlines approach; the supported
 * subset and its refusals are listed there) or {@link io.lorafleet.runtime.constrain.RegexParser} (the
 * regex dialect) give a {@link io.lorafleet.runtime.constrain.RegexNode} tree;
 * {@link io.lorafleet.runtime.constrain.AutomatonBuilder} builds it bottom-up with dk.brics.automaton's
 * operations over an alphabet of <em>bytes</em> (code point sets become UTF-8 byte automata,
 * {@link io.lorafleet.runtime.constrain.Utf8Automata}), determinizing and minimizing each node. Two steps are
 * our own instead of the library's: the subset construction, because the library's cannot be stopped and a
 * hostile pattern makes it exponential, and the minimization (Hopcroft as Valmari and Lehtinen give it),
 * because the library's is quadratic in practice (it spent about 5 s minimizing the pieces of the JSON-mode
 * automaton on the development machine; the whole compilation now takes about 0.2 s of CPU). Everything is
 * bounded by {@link io.lorafleet.runtime.constrain.ConstraintLimits}: source length, DFA and NFA states, CPU
 * time, schema depth; beyond them, and for every unsupported keyword or construct, a
 * {@link io.lorafleet.runtime.constrain.ConstraintException} (HTTP 422) names the problem. Compiled DFAs and
 * refusals are kept in a bounded LRU cache keyed by the constraint.
 *
 * <h2>From a DFA to token masks (per vocabulary, lazily per state, cached)</h2>
 * {@link io.lorafleet.runtime.constrain.TokenVocabulary} holds the bytes each token id adds to the text
 * ({@link io.lorafleet.runtime.tokenizer.TokenBytes}: byte-level BPE, SentencePiece, space-joined) in a trie.
 * {@link io.lorafleet.runtime.constrain.TokenIndex} answers "which tokens may come next in DFA state s" by
 * walking the trie and the DFA together, the first time a state is asked for, and keeps the
 * {@link io.lorafleet.runtime.constrain.TokenMask} (a bitset over the model's vocabulary) for every later
 * sequence; a token whose bytes end inside a UTF-8 character is allowed exactly when the DFA can go on, so
 * tokens that span JSON structure ({@code ",} or {@code "}}) and partial characters need no special case.
 * Special tokens and ids without a token string have no bytes and are never allowed. An engine keeps its
 * indices in a {@link io.lorafleet.runtime.constrain.TokenIndexCache} (LRU, bounded by the masks' heap).
 *
 * <h2>Per sequence, per step (engine thread)</h2>
 * {@link io.lorafleet.runtime.engine.Engine#submit} compiles the constraint (caller's thread) and looks up
 * its index; the sequence carries a {@link io.lorafleet.runtime.constrain.ConstraintState} (its DFA state).
 * Each step, before the forward pass, the engine hands the masks its constrained rows will need and that are
 * not computed yet to a helper thread ({@code lorafleet-constraint-masks}), so the trie walks overlap the
 * forward pass instead of delaying every row's sampling. After the forward pass, for a constrained row, the
 * engine takes the state's mask (waiting for the helper if it is still walking), adds end-of-sequence (unless
 * {@code ignore_eos}) and the stop token ids only when the state is accepting, and passes the bits to the
 * {@link io.lorafleet.runtime.engine.Sampler}, which sets every other logit to -infinity before the
 * repetition penalty, greedy argmax, temperature, top-k and top-p. The sampled token advances the state;
 * when the state is accepting and nothing can extend the match, the sequence ends there with reason {@code
 * eos} (no end-of-sequence token is generated). Rows without a constraint take the unchanged path, so their
 * tokens stay exactly the reference.
 *
 * <h2>Where the mask is applied, for a device-side sampler (issue 13)</h2>
 * Today the {@link io.lorafleet.runtime.engine.Sampler} runs on the host for both backends (the CUDA backend
 * copies the logits back), so a mask is simply applied to the host copy of the row. A sampler that moves onto
 * the GPU has two options, row by row: upload the row's allowed-token bitset ({@code
 * TokenMask.copyBits()} with the end-of-sequence ids added, {@code vocab/64} longs, ready before the forward
 * pass ends) and apply it in the sampling kernel as -infinity on the logits; or keep constrained rows on the
 * host path (copy back only their logits rows). The mask must be applied before penalty, temperature, top-k
 * and top-p, and {@code ConstraintState.advance} must see the sampled token on the host before the next step's
 * mask is chosen.
 */
package io.lorafleet.runtime.constrain;
