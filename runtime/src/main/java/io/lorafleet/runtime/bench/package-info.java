/**
 * {@code lorafleet bench}: a synthetic Hugging Face checkpoint with real shapes and random weights
 * ({@link io.lorafleet.runtime.bench.SyntheticCheckpoint}, cached on disk), a memory-bandwidth probe over
 * several buffer sizes before and after the timed phases ({@link io.lorafleet.runtime.bench.BandwidthProbe}
 * over {@link io.lorafleet.runtime.bench.MemoryBandwidth}), the engine measurements that compare with it
 * ({@link io.lorafleet.runtime.bench.BenchRun}, reported by {@link io.lorafleet.runtime.bench.BenchReport}
 * and {@link io.lorafleet.runtime.bench.BenchExtras}) and the CPU GEMM against the measured FMA peak
 * ({@link io.lorafleet.runtime.bench.GemmBenchmark}).
 */
package io.lorafleet.runtime.bench;
