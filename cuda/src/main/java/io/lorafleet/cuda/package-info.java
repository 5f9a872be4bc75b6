/**
 * The CUDA backend: {@link io.lorafleet.cuda.CudaBackend} runs the same Llama forward pass as the CPU
 * backend on an NVIDIA GPU (compute capability 8.0 or newer: A100, H100, H200...), for batches whose rows
 * each may use a different LoRA adapter. Two classes are public: {@link io.lorafleet.cuda.CudaBackendProvider}
 * (the engine finds the backend through the backend SPI) and {@link io.lorafleet.cuda.CudaDiagnostics}, the
 * one entry point of measuring tools (device, bandwidth, per-kernel profile). Adapters are uploaded into
 * pages and freed when the engine's adapter residency says so; the backend keeps no residency of its own.
 * {@link io.lorafleet.cuda.CudaConfig} is what the backend is constructed with (read from {@code
 * -Dlorafleet.cuda.*} system properties).
 *
 * <h2>Pieces</h2>
 * <ul>
 *   <li>{@link io.lorafleet.cuda.Gpu}: the device operations, on the JCuda driver API ({@link
 *       io.lorafleet.cuda.JCudaGpu}: primary context, streams, events, {@code cuModuleLoadData},
 *       {@code cuLaunchKernel}) or, in the tests, on a CPU emulation of the very same kernels.</li>
 *   <li>Kernels: {@code cuda/src/main/cuda/*.cu}, compiled by the build with nvcc to PTX (compute_80)
 *       and cubins (sm_80, sm_90), packaged as class-path resources ({@link io.lorafleet.cuda.KernelImages});
 *       launched through {@link io.lorafleet.cuda.Kernels}, the one place that knows their parameters.</li>
 *   <li>{@link io.lorafleet.cuda.DevicePool} / {@link io.lorafleet.cuda.PageAllocator}: one allocation of
 *       fixed-size pages (a page = one KV block of all layers) shared by the KV cache and adapters.</li>
 *   <li>{@link io.lorafleet.cuda.AdapterLayout} / {@link io.lorafleet.cuda.AdapterImage} /
 *       {@link io.lorafleet.cuda.LoraUploader}: adapters packed into pages rank row by rank row and
 *       uploaded from pinned memory on their own stream.</li>
 *   <li>{@link io.lorafleet.cuda.StepPlanner}: a {@code ForwardBatch} to the flat arrays the kernels read
 *       (one copy per step).</li>
 * </ul>
 *
 * <h2>Matrix products</h2>
 * cuBLAS ({@code cublasGemmEx}, bf16 inputs, float32 compute and output, tensor cores) called through the
 * FFM API ({@link io.lorafleet.cuda.CublasLibrary}): JCuda's own cuBLAS binding needs libcublas.so.12 and
 * does not load on CUDA 13 machines, and cuBLAS reaches the hardware's limit where a hand-written kernel
 * would need a long tuning effort. When no cuBLAS can be loaded, {@link io.lorafleet.cuda.KernelGemm}
 * runs a plain tiled kernel (gemm.cu) with the same contract. {@code -Dlorafleet.cuda.gemm=kernel|cublas}
 * forces either.
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
 */
package io.lorafleet.cuda;
