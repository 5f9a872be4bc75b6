package io.lorafleet.tools.simulation;

import java.util.List;
import java.util.Map;

/**
 * The result of a simulation: the configuration, the trace, one report per policy (LoraFleet's first, then
 * the baseline), the targets and how long it took. This is the JSON the {@code simulate} command writes.
 *
 * @param config              what was simulated
 * @param trace               the request stream as generated
 * @param policies            one report per policy, same trace
 * @param targets             the targets LoraFleet's policies are held to
 * @param wallSeconds         real time the simulation took (trace generation included)
 * @param cpuSeconds          CPU time of each policy's run (its thread), by policy name
 * @param machine             where it ran
 */
public record SimulationReport(SimulationConfig config, TraceSummary trace, List<PolicyReport> policies,
    Targets targets, double wallSeconds, Map<String, Double> cpuSeconds, Machine machine) {

  /**
   * @param requests               requests in the trace (warm-up included)
   * @param offeredPerSecond       mean arrival rate, bursts included
   * @param meanStepsPerRequest    mean decode steps of a request (prefill chunks + tokens)
   * @param meanAdapterBytes       mean adapter size
   * @param fleetCapacityPerSecond requests per second the fleet serves with every batch full (estimate from
   *                               the step model at full batch with 16 distinct adapters)
   * @param bursts                 the bursts
   */
  public record TraceSummary(long requests, double offeredPerSecond, double meanStepsPerRequest,
      double meanAdapterBytes, double fleetCapacityPerSecond, List<Burst> bursts) {}

  /** Hit rate at least {@code hitRate}, max/mean node load at most {@code maxMeanLoad}. */
  public record Targets(double hitRate, double maxMeanLoad) {
    /** What a LoraFleet fleet is held to: 95% GPU-resident hits, the busiest node within 1.25x of the mean. */
    public static final Targets FLEET = new Targets(0.95, 1.25);

    public boolean hitRateMet(PolicyReport r) {
      return r.hitRate() >= hitRate;
    }

    public boolean loadMet(PolicyReport r) {
      return r.maxMeanLoad() <= maxMeanLoad;
    }
  }

  /** The machine: processors available to the JVM, Java version, OS. */
  public record Machine(int processors, String java, String os) {
    public static Machine current() {
      return new Machine(Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
          System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    }
  }

  /** The report of the policy named {@code name}. */
  public PolicyReport policy(String name) {
    return policies.stream().filter(p -> p.policy().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no policy " + name));
  }
}
