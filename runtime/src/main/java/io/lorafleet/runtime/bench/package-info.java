/**
 * {@code lorafleet bench}: a synthetic Hugging Face checkpoint with real shapes and random weights
 * ({@link io.lorafleet.runtime.bench.SyntheticCheckpoint}, cached on disk), a memory-bandwidth probe
 * ({@link io.lorafleet.runtime.bench.MemoryBandwidth}) and the engine measurements that compare the two
 * ({@link io.lorafleet.runtime.bench.BenchRun}, reported by {@link io.lorafleet.runtime.bench.BenchReport}).
 */
package io.lorafleet.runtime.bench;
