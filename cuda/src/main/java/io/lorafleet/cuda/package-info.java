/**
 * The CUDA backend: {@link io.lorafleet.cuda.CudaBackend} runs the same Llama forward pass as the CPU
 * backend on an NVIDIA GPU (compute capability 8.0 or newer: A100, H100, H200...), for batches whose rows
 * each may use a different LoRA adapter, and picks the tokens on the device as the engine's host Sampler
 * would. Two classes are public: {@link io.lorafleet.cuda.CudaBackendProvider} (the engine finds the backend
 * through the backend SPI) and {@link io.lorafleet.cuda.CudaDiagnostics}, the one entry point of measuring
 * tools (device, bandwidth, per-kernel profile, decode graphs, a backend on a recording device). Adapters
 * are uploaded into pages and freed when the engine's adapter residency says so; the backend keeps no
 * residency of its own.
 * {@link io.lorafleet.cuda.CudaConfig} is what the backend is constructed with (read from {@code
 * -Dlorafleet.cuda.*} system properties).
 *
 * <h2>Pieces</h2>
 * <ul>
 *   <li>{@link io.lorafleet.cuda.Gpu}: the device operations, on the JCuda driver API ({@link
 *       io.lorafleet.cuda.JCudaGpu}: primary context, streams, events, {@code cuModuleLoadData}, stream
 *       capture into graphs; the calls every step makes go through {@link io.lorafleet.cuda.DriverLibrary},
 *       an FFM binding of libcuda), in the tests on a CPU emulation of the very same kernels, and on
 *       {@link io.lorafleet.cuda.RecordingGpu}, which does no device work and counts driver calls.</li>
 *   <li>Kernels: {@code cuda/src/main/cuda/*.cu}, compiled by the build with nvcc to PTX (compute_80)
 *       and cubins (sm_80, sm_90), packaged as class-path resources ({@link io.lorafleet.cuda.KernelImages});
 *       launched through {@link io.lorafleet.cuda.Kernels}, the one place that knows their parameters.</li>
 *   <li>{@link io.lorafleet.cuda.DevicePool} / {@link io.lorafleet.cuda.PageAllocator}: one allocation of
 *       fixed-size pages (a page = one KV block of all layers) shared by the KV cache and adapters.</li>
 *   <li>{@link io.lorafleet.cuda.AdapterLayout} / {@link io.lorafleet.cuda.AdapterImage} /
 *       {@link io.lorafleet.cuda.LoraUploader}: adapters packed into pages rank row by rank row on a packer
 *       thread and uploaded from pinned memory on their own stream.</li>
 *   <li>{@link io.lorafleet.cuda.Workspace}: the step's scratch memory, sized from the engine's step limits
 *       and allocated before the pool.</li>
 *   <li>Two ways through a step: {@link io.lorafleet.cuda.DecodeInputs} writes a decode step (every sequence
 *       one row) at fixed offsets for the CUDA graph captured per batch-size bucket; {@link
 *       io.lorafleet.cuda.StepPlanner} turns any other {@code ForwardBatch} into the flat arrays the kernels
 *       read (one copy per step). {@link io.lorafleet.cuda.SamplingInputs} lays out each logits row's
 *       sampling parameters for {@code sample_tokens}.</li>
 * </ul>
 *
 * <h2>Host work per step</h2>
 * A decode step is four driver calls at steady state (input copy, graph launch, result copy, stream
 * synchronization) and no per-kernel host work: the graph holds every layer's launches, LoRA included
 * (adapters are named through the inputs, so one graph serves any mix of adapters and ranks), the LM head
 * and the sampling kernel. Graphs are keyed by bucket and by the LoRA target groups in use, and retired when
 * a buffer they name moves. While a profile is on, decode steps run kernel by kernel so each is timed.
 *
 * <h2>Matrix products</h2>
 * cuBLAS ({@code cublasGemmEx}, bf16 inputs, float32 compute and output, tensor cores) called through the
 * FFM API ({@link io.lorafleet.cuda.CublasLibrary}), with a workspace of its own so that its products can
 * be captured into graphs: JCuda's own cuBLAS binding needs libcublas.so.12 and does not load on CUDA 13
 * machines, and cuBLAS reaches the hardware's limit where a hand-written kernel would need a long tuning
 * effort. Without cuBLAS the backend is unavailable (fail fast) unless {@code -Dlorafleet.cuda.gemm=kernel}
 * asks for {@link io.lorafleet.cuda.KernelGemm}, a plain tiled kernel (gemm.cu) with the same contract.
 *
 * <h2>Numerics</h2>
 * Weights are bf16 on the device (BF16 checkpoints as they are; F16/F32 ones rounded to bf16 on upload).
 * Activations, the residual stream, the KV cache, softmax and all accumulation are float32, as in the CPU
 * backend. The input of every product is split into two bf16 halves, {@code hi = bf16(x)} and
 * {@code lo = bf16(x - hi)}, stacked as twice the rows; the consumer adds the two output halves. That
 * keeps ~16 significant bits of every activation: plain bf16 activations change 3 of the 54 greedy
 * fixture continuations and move logits by 0.26, the split keeps all of them and stays within 3e-4 (CPU
 * experiment, same arithmetic). A bf16 KV cache was also measured and rejected (logits off by 0.1).
 * Decode steps are bound by reading the weights, so the doubled rows cost little there; prefill pays
 * twice the tensor-core work. RoPE angles come from the CPU backend's own double-precision code.
 * Adapters keep their values exactly: bf16 on the device when every value is a bf16, float32 otherwise.
 * The token choice repeats the host Sampler's arithmetic (double precision, the same formulas), so greedy
 * is identical and seeded sampling differs only at double-rounding boundaries.
 */
package io.lorafleet.cuda;
