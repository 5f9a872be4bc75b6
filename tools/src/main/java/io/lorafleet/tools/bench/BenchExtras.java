package io.lorafleet.tools.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * The figures a benchmark run adds to the four engine phases of {@link BenchReport}: the bandwidth probe
 * before and after the timed phases, batch-1 decode with one rank-16 adapter, a 70-token prefill (the
 * prompt llama.cpp's figures were first taken with), the GEMM against the FMA peak and the memory held.
 *
 * @param bandwidthBefore probe before the engine phases
 * @param bandwidthAfter  probe after them
 * @param batch1Lora      one request with one adapter
 * @param prefill70       one 70-token prompt
 * @param gemm            the GEMM microbenchmark
 * @param memory          memory held after the phases against the model file plus KV cache
 */
public record BenchExtras(BandwidthProbe.Result bandwidthBefore, BandwidthProbe.Result bandwidthAfter,
    PhaseResult batch1Lora, PhaseResult prefill70, GemmBenchmark.Result gemm, MemoryFootprint memory) {

  /** Prompt length of {@link #prefill70}. */
  public static final int SHORT_PREFILL_TOKENS = 70;

  /** Every bandwidth reading of the run, before and after. */
  public List<Double> allBandwidthGbPerSecond() {
    List<Double> all = new ArrayList<>(bandwidthBefore.allGbPerSecond());
    all.addAll(bandwidthAfter.allGbPerSecond());
    return all;
  }

  public double bestBandwidthGbPerSecond() {
    return allBandwidthGbPerSecond().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
  }

  public double medianBandwidthGbPerSecond() {
    return BandwidthProbe.median(allBandwidthGbPerSecond());
  }
}
