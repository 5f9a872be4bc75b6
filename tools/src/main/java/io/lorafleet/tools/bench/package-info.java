/**
 * {@code lorafleet bench}: a synthetic Hugging Face checkpoint with real shapes and random weights
 * ({@link io.lorafleet.tools.synthetic.SyntheticCheckpoint}, cached on disk), a memory-bandwidth probe
 * ({@link io.lorafleet.tools.bench.MemoryBandwidth}) and the engine measurements that compare the two
 * ({@link io.lorafleet.tools.bench.BenchRun}, reported by {@link io.lorafleet.tools.bench.BenchReport}).
 */
package io.lorafleet.tools.bench;
