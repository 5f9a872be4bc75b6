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
 * <p>Adapter residency on the device has one owner, {@link io.lorafleet.runtime.engine.AdapterResidency}
 * (the engine's worker LoRA manager): it uploads adapters ahead of their first step or when a step needs
 * them, counts the running sequences using each, frees the least recently used idle one for room (never
 * one in use), and publishes every change as an {@link io.lorafleet.runtime.engine.AdapterResidencyEvent}
 * to the engine's subscribers ({@link io.lorafleet.runtime.engine.Engine#subscribe}). Backends only upload
 * and free.
 */
package io.lorafleet.runtime.engine;
