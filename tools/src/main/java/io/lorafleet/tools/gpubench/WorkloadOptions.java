package io.lorafleet.tools.gpubench;

import java.util.List;
import picocli.CommandLine.Option;

/** The workload's command-line options (the defaults are the benchmark's reference workload, the same as the peer's). */
final class WorkloadOptions {
  @Option(names = "--prompt-tokens", defaultValue = "70", description = "prompt length, BOS included (default: ${DEFAULT-VALUE})")
  int promptTokens;

  @Option(names = "--new-tokens", defaultValue = "10", description = "tokens generated per latency request (default: ${DEFAULT-VALUE})")
  int newTokens;

  @Option(names = "--latency-adapters", defaultValue = "100", description = "adapters of the headline latency figure (default: ${DEFAULT-VALUE})")
  int latencyAdapters;

  @Option(names = "--latency-requests", defaultValue = "200", description = "requests of the headline latency figure (default: ${DEFAULT-VALUE})")
  int latencyRequests;

  @Option(names = "--adapter-counts", split = ",", defaultValue = "1,10,100,1000",
      description = "adapter counts of the latency sweep (default: ${DEFAULT-VALUE})")
  List<Integer> adapterCounts;

  @Option(names = "--sweep-requests", defaultValue = "100", description = "requests per other sweep point (default: ${DEFAULT-VALUE})")
  int sweepRequests;

  @Option(names = "--concurrency", defaultValue = "64", description = "requests in flight for throughput and the batched decode step (default: ${DEFAULT-VALUE})")
  int concurrency;

  @Option(names = "--throughput-adapters", defaultValue = "100", description = "adapters the throughput requests use (default: ${DEFAULT-VALUE})")
  int throughputAdapters;

  @Option(names = "--throughput-requests", defaultValue = "256", description = "requests of the throughput figure (default: ${DEFAULT-VALUE})")
  int throughputRequests;

  @Option(names = "--throughput-new-tokens", defaultValue = "32", description = "tokens generated per throughput request (default: ${DEFAULT-VALUE})")
  int throughputNewTokens;

  @Option(names = "--decode-steps", defaultValue = "32", description = "decode steps timed at batch 1 and at the concurrency (default: ${DEFAULT-VALUE})")
  int decodeSteps;

  @Option(names = "--seed", defaultValue = "6", description = "seed of prompts and adapter choices (default: ${DEFAULT-VALUE})")
  long seed;

  GpuBenchWorkload workload() {
    try {
      return new GpuBenchWorkload(promptTokens, newTokens, latencyAdapters, latencyRequests, adapterCounts, sweepRequests,
          concurrency, throughputAdapters, throughputRequests, throughputNewTokens, decodeSteps, seed);
    } catch (IllegalArgumentException e) {
      throw new io.lorafleet.runtime.cli.CliInputException("workload options: every count must be positive and the "
          + "prompt at least 2 tokens");
    }
  }
}
