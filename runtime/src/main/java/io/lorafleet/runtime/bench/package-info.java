/**
 * {@code lorafleet bench}: a synthetic Hugging Face checkpoint with real shapes and random weights
 * ({@link io.lorafleet.runtime.bench.SyntheticCheckpoint}, cached on disk), a memory-bandwidth probe
 * ({@link io.lorafleet.runtime.bench.MemoryBandwidth}) and the engine measurements that compare the two
 * ({@link io.lorafleet.runtime.bench.BenchRun}, reported by {@link io.lorafleet.runtime.bench.BenchReport}),
 * among them the step-time overhead of constrained decoding (a batch with half its rows constrained against the
 * same batch free, in interleaved pairs) and a constraint's one-time costs ({@link
 * io.lorafleet.runtime.bench.ConstraintCost}).
 */
package io.lorafleet.runtime.bench;
