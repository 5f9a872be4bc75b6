/**
 * {@code lorafleet gpu-bench}: LoraFleet on a GPU against HF transformers + PEFT on the same device, in one
 * run driven by {@code ops/gpu/bench}.
 *
 * <ul>
 *   <li>{@code gpu-bench checkpoint} writes the synthetic TinyLlama-shaped checkpoint and its random PEFT
 *       adapters ({@link io.lorafleet.tools.synthetic.SyntheticCheckpoint}) and a {@link
 *       io.lorafleet.tools.gpubench.BenchManifest} naming them, which every side of the run reads (the Python
 *       peer included).</li>
 *   <li>{@code gpu-bench engine} measures the engine alone ({@link io.lorafleet.tools.gpubench.EngineBench}):
 *       device bandwidth, adapter loads, decode steps against the bandwidth floor, a per-kernel profile,
 *       latency against the number of adapters and closed-loop throughput.</li>
 *   <li>{@code gpu-bench http} measures the same latency and throughput figures through a running {@code
 *       lorafleet serve} ({@link io.lorafleet.tools.gpubench.HttpBench}, through the tools' {@link
 *       io.lorafleet.tools.client.GenerationClient}).</li>
 *   <li>{@code gpu-bench report} puts the three sides (and the peer's) together: a table, one JSON
 *       document and a PNG chart of latency against the number of adapters ({@link
 *       io.lorafleet.tools.gpubench.Comparison}, {@link io.lorafleet.tools.gpubench.LatencyChart}).</li>
 * </ul>
 *
 * <p>Every side runs the same {@link io.lorafleet.tools.gpubench.GpuBenchWorkload} and writes the same {@link
 * io.lorafleet.tools.gpubench.SystemResult} document (snake_case JSON), so the peer script ({@code
 * ops/gpu/peft_peer.py}) and the report agree on one schema; percentiles are nearest-rank on both sides (ours
 * from a {@link io.lorafleet.tools.stats.LatencyHistogram}).
 */
package io.lorafleet.tools.gpubench;
