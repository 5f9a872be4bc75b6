/**
 * The compute boundary. {@link io.lorafleet.runtime.backend.Backend} loads the base model once, uploads
 * adapters into device memory and frees them by index (which adapters stay is the engine's {@code
 * AdapterResidency}'s decision), and runs one {@code forward} over a flattened batch ({@link
 * io.lorafleet.runtime.backend.ForwardBatch}): token ids, positions, per-sequence block tables, and rows
 * grouped into segments by adapter (the SGMV layout). The engine above it never knows which device runs
 * the math; {@code io.lorafleet.runtime.backend.cpu} is the reference implementation.
 *
 * <p>A device backend may also pick the tokens ({@link io.lorafleet.runtime.backend.Backend#samplesOnDevice},
 * {@link io.lorafleet.runtime.backend.Backend#forwardSampled}): the engine then sends each logits row's
 * sampling parameters ({@link io.lorafleet.runtime.backend.RowSampling}, with the request's next uniform
 * number drawn by the engine so seeded streams stay the engine's) and gets back a token and its logprob
 * per row ({@link io.lorafleet.runtime.backend.SampledLogits}), plus full rows only for the rows it samples
 * itself (top logprobs, prompt logprobs, output constraints, whose masks the engine computes while the
 * step runs; a mask known before the step could go down as {@code RowSampling.allowedTokens}). {@link
 * io.lorafleet.runtime.backend.Backend#reserveStepMemory} tells a device backend the step limits up front.
 *
 * <p>{@link io.lorafleet.runtime.backend.BackendConfig#quantize()} asks a backend to store the base model's
 * projections as int8 ({@code --quantize int8}); {@link io.lorafleet.runtime.backend.BackendAgreement}
 * measures how far such a backend's logits and greedy tokens are from a reference backend's.
 */
package io.lorafleet.runtime.backend;
