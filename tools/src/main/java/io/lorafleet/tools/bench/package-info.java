/**
 * {@code lorafleet bench}: a synthetic Hugging Face checkpoint with real shapes and random weights
 * ({@link io.lorafleet.tools.synthetic.SyntheticCheckpoint}, cached on disk), a memory-bandwidth probe over
 * several buffer sizes before and after the timed phases ({@link io.lorafleet.tools.bench.BandwidthProbe} over
 * {@link io.lorafleet.tools.bench.MemoryBandwidth}), the engine measurements that compare with it ({@link
 * io.lorafleet.tools.bench.BenchRun} over {@link io.lorafleet.tools.bench.EnginePhases}, reported by {@link
 * io.lorafleet.tools.bench.BenchReport} and {@link io.lorafleet.tools.bench.BenchExtras}: a table and the JSON
 * document scripts read), what the engine holds in memory ({@link io.lorafleet.tools.bench.MemoryFootprint}) and
 * the CPU GEMM against the measured FMA peak ({@link io.lorafleet.tools.bench.GemmBenchmark}). {@code
 * EnginePhases}, {@code PhaseResult} and {@code MemoryBandwidth} also serve {@code gpu-bench engine}. Among
 * the measurements: the step-time overhead of constrained decoding (a batch with half its rows constrained
 * against the same batch free, in interleaved pairs) and a constraint's one-time costs ({@link
 * io.lorafleet.tools.bench.ConstraintCost}). {@code --quantize int8} runs every phase on int8 weights (the JSON
 * then counts the int8 bytes per step); {@link io.lorafleet.tools.bench.QuantQualityCommand} ({@code
 * lorafleet quant-quality}) measures what int8 does to the outputs.
 */
package io.lorafleet.tools.bench;
