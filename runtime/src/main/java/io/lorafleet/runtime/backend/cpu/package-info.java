/**
 * The CPU backend: the reference implementation of {@link io.lorafleet.runtime.backend.Backend}. All hot
 * loops (matrix products over BF16/F16/F32 weights converted in registers, RMSNorm, attention over KV
 * blocks) live in {@link io.lorafleet.runtime.backend.cpu.VectorKernels}; {@link
 * io.lorafleet.runtime.backend.cpu.CpuBackend} reads top to bottom as the Llama forward pass; {@link
 * io.lorafleet.runtime.backend.cpu.WorkerPool} splits each step's work over the cores.
 *
 * <p>Every dot product accumulates in the same order whatever the batch holds, and lane sums are taken in
 * a fixed order, so a row's result is bit-identical alone or in any batch.
 */
package io.lorafleet.runtime.backend.cpu;
