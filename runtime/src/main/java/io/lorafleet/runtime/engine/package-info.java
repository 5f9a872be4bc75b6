/**
 * The engine core, split as in vLLM v1: {@link io.lorafleet.runtime.engine.Scheduler} is pure bookkeeping
 * (which sequences run this step, how many tokens each, which KV blocks they own, fairness across
 * adapters, preemption); {@link io.lorafleet.runtime.engine.ModelRunner} turns a schedule into one
 * flattened {@link io.lorafleet.runtime.backend.ForwardBatch} and runs it; {@link
 * io.lorafleet.runtime.engine.Sampler} picks tokens; {@link io.lorafleet.runtime.engine.Engine} glues them
 * into the step loop and reports tokens to each request's {@link
 * io.lorafleet.runtime.engine.GenerationListener}. A request may constrain its output ({@link
 * io.lorafleet.runtime.engine.SamplingParams#constraint()}): the engine keeps the sequence's automaton state
 * and the sampler only sees allowed tokens (see {@link io.lorafleet.runtime.constrain}).
 *
 * <p>Priority classes ({@link io.lorafleet.runtime.engine.PriorityClass}: interactive, standard, batch, carried
 * by each {@link io.lorafleet.runtime.engine.GenerateRequest}): the scheduler admits by class first and round-robin
 * across adapters within a class ({@link io.lorafleet.runtime.engine.FairQueue}), preempts running sequences of
 * the least urgent class first (under KV pressure, and to make room for a more urgent waiting one), and ages
 * waiting sequences up one class per {@link io.lorafleet.runtime.engine.SchedulerConfig#agingNanos} so no class
 * starves; each class's queue has its own {@code maxWaiting} bound, and the engine reports per-class load in
 * {@link io.lorafleet.runtime.engine.PriorityStats} and queue times to {@link
 * io.lorafleet.runtime.engine.Engine#observeQueueTime} observers.
 *
 * <p>Automatic prefix caching, keyed by adapter: the {@link io.lorafleet.runtime.engine.KvBlockPool} counts
 * references to its blocks and indexes the full, computed ones by {@link io.lorafleet.runtime.engine.BlockHash}
 * (a hash chain over the previous block, the sequence's {@link io.lorafleet.runtime.engine.Sequence#cacheKey}
 * and the block's tokens); the {@link io.lorafleet.runtime.engine.Scheduler} looks a new sequence's prompt up
 * at admission and shares the blocks found (no copy), and registers blocks as steps fill them; cached blocks
 * nobody holds are reclaimed least recently used first. Backends see only block tables, in which the same
 * block may now appear for several sequences (read, never written: a sequence writes only past its cached
 * prefix).
 *
 * <p>Adapter residency on the device has one owner, {@link io.lorafleet.runtime.engine.AdapterResidency}
 * (the engine's worker LoRA manager): it uploads adapters ahead of their first step or when a step needs
 * them, counts the running sequences using each, frees the least recently used idle one for room (never
 * one in use), and publishes every change as an {@link io.lorafleet.runtime.engine.AdapterResidencyEvent}
 * to the engine's subscribers ({@link io.lorafleet.runtime.engine.Engine#subscribe}). Backends only upload
 * and free.
 *
 * <p>Where tokens are picked: on a backend that samples on the device ({@code Backend.samplesOnDevice}), the
 * {@link io.lorafleet.runtime.engine.ModelRunner} sends each sampled row's parameters down with the batch
 * (drawing the request's uniform number from its own stream, exactly when the host {@code Sampler} would)
 * and gets a token and its logprob back; rows whose full distribution the engine needs (top logprobs,
 * prompt logprobs) still come back as logits and go through the host {@code Sampler}. A constrained row
 * (issue 17) goes down with its allowed-token bitmask when it is known before the step, and as a host row
 * otherwise. The engine tells the backend its step limits before the KV cache is allocated
 * ({@code Backend.reserveStepMemory}), and {@link io.lorafleet.runtime.engine.Engine#close} returns only
 * after the loop thread has ended, so the backend is closed after the last step.
 */
package io.lorafleet.runtime.engine;
