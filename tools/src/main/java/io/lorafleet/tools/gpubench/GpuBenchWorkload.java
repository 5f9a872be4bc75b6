package io.lorafleet.tools.gpubench;

import java.util.List;

/**
 * The requests every side of the benchmark runs, the same for LoraFleet (engine and HTTP) and the peer.
 *
 * @param promptTokens        prompt length of every request, first token BOS (figure a: 70)
 * @param newTokens           tokens generated per latency request (figure a: 10)
 * @param latencyAdapters     the adapter count of the headline latency figure (a) (100)
 * @param latencyRequests     sequential requests of figure (a) (at least 200)
 * @param adapterCounts       adapter counts of the latency sweep (figure d and the chart): requests draw
 *                            their adapter uniformly from the first {@code n} adapters
 * @param sweepRequests       sequential requests per sweep point other than {@code latencyAdapters}
 * @param concurrency         requests in flight in the throughput figure (b) (64)
 * @param throughputAdapters  adapters the throughput requests draw from (100)
 * @param throughputRequests  requests of the throughput figure
 * @param throughputNewTokens tokens generated per throughput request
 * @param decodeSteps         pure decode steps timed for figure (c), at batch 1 and at {@code concurrency}
 * @param seed                seed of prompts and adapter draws
 */
public record GpuBenchWorkload(
    int promptTokens, int newTokens, int latencyAdapters, int latencyRequests, List<Integer> adapterCounts,
    int sweepRequests, int concurrency, int throughputAdapters, int throughputRequests, int throughputNewTokens,
    int decodeSteps, long seed) {

  public GpuBenchWorkload {
    adapterCounts = List.copyOf(adapterCounts.stream().distinct().sorted().toList());
    if (promptTokens < 2 || newTokens < 1 || latencyAdapters < 1 || latencyRequests < 1 || adapterCounts.isEmpty()
        || adapterCounts.getFirst() < 1 || sweepRequests < 1 || concurrency < 1 || throughputAdapters < 1
        || throughputRequests < 1 || throughputNewTokens < 1 || decodeSteps < 1) {
      throw new IllegalArgumentException("invalid workload " + this);
    }
  }

  /** The largest number of adapters any figure draws from. */
  public int adaptersNeeded() {
    return Math.max(Math.max(latencyAdapters, throughputAdapters),
        Math.max(adapterCounts.getLast(), Math.min(concurrency, throughputAdapters)));
  }

  /** Sequential requests of the latency point with {@code adapters} adapters. */
  public int requestsFor(int adapters) {
    return adapters == latencyAdapters ? latencyRequests : sweepRequests;
  }

  /** The sweep's adapter counts with the headline count in it. */
  public List<Integer> sweep() {
    return adapterCounts.contains(latencyAdapters) ? adapterCounts
        : java.util.stream.Stream.concat(adapterCounts.stream(), java.util.stream.Stream.of(latencyAdapters))
            .sorted().toList();
  }
}
