/**
 * The CPU backend: the reference implementation of {@link io.lorafleet.runtime.backend.Backend}. {@link
 * io.lorafleet.runtime.backend.cpu.CpuBackend} reads top to bottom as the Llama forward pass. At
 * construction it repacks every projection matrix once into {@link
 * io.lorafleet.runtime.backend.cpu.PackedLinear} panels (32 output features x k, BF16 kept as BF16; F16 and
 * F32 as F32) in {@link io.lorafleet.runtime.backend.cpu.NativeMemory} (huge pages where Linux gives them);
 * {@link io.lorafleet.runtime.backend.cpu.PanelKernels} multiplies them: a streaming GEMV for decode and a
 * register-tiled GEMM (12 rows x 32 outputs, k-blocked) for prefill and batches, whose input rows {@link
 * io.lorafleet.runtime.backend.cpu.InputRows} packs once per product (tile by tile, k-row by k-row). {@link
 * io.lorafleet.runtime.backend.cpu.VectorKernels} holds the other loops (RMSNorm, SiLU, attention over KV
 * blocks, the LoRA shrink and expand, the embedding gather). {@link
 * io.lorafleet.runtime.backend.cpu.WorkerPool} splits each loop over the cores: the calling thread works,
 * each thread streams its own contiguous part and steals from the others' ends when done. {@link
 * io.lorafleet.runtime.backend.cpu.PhaseClock} tells where a step's time goes. {@link
 * io.lorafleet.runtime.backend.cpu.OneDnnMatmul} is the optional native accelerator (oneDNN's bf16 matmul
 * through FFM, {@code --native-gemm}, off by default) for products of 16+ rows; when it is on, bf16 panels
 * are packed in oneDNN's {@code BA16a32b2a} layout (k-row pairs, {@code PackedLinear.Format.BF16_PAIRS}),
 * which it reads in place and the Vector-API kernels read for the smaller products: one copy of the model.
 *
 * <p>Every sum accumulates in a fixed order whatever the batch holds: a projection output is one FMA chain
 * over the input features in order (vectorized across outputs, never across the sum), a LoRA shrink or an
 * attention score a fixed-order dot product, so a row's result is bit-identical alone or in any batch,
 * chunked or not (with the Vector-API kernels; oneDNN rounds its inputs to bf16 and sums in its own
 * order, so with native GEMM on a row's result depends on whether its product had 16+ rows). With {@code
 * --quantize int8} the panels are another format, int8 codes with one float scale per output, quantized
 * while packing and widened in registers by the same tiles (the chain over the codes, then one multiply by
 * the scale); oneDNN is never used for them (a native GEMM setting is logged as not applying).
 */
package io.lorafleet.runtime.backend.cpu;
