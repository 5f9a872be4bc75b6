package io.lorafleet.tools.simulation;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a simulation: generates the adapter catalogue and the request trace from the seed, then replays the
 * same trace to LoraFleet's policies and to the consistent-hashing baseline, each on its own fresh fleet
 * (on two threads when the machine has two cores; the results do not depend on it).
 */
public final class Simulator {
  private static final Logger log = LoggerFactory.getLogger(Simulator.class);
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private Simulator() {}

  public static SimulationReport run(SimulationConfig config) {
    long start = System.nanoTime();
    TraceSpec w = config.workload();
    AdapterPopulation catalog = AdapterPopulation.create(w.adapters(), w.zipfExponent(), config.seed());
    RequestTrace trace = RequestTrace.generate(w, config.node(), config.nodes(), catalog, config.seed());
    String[] names = nodeNames(config.nodes());
    log.info("simulating {} requests over {} nodes and {} adapters", trace.size(), config.nodes(), w.adapters());
    int[] homes = LoraFleetPlacement.homes(names, config.node(), catalog);
    List<Function<FleetSimulation.Fleet, FleetPolicy>> policies = List.of(
        f -> new LoraFleetPlacement(f.config().lorafleet(), f.config().node(), f.names(), f.nodes(), f.catalog(),
            homes, f.config().workload().warmupSeconds(), f.config().seed() ^ 0x1F2E3D4CL),
        f -> new ConsistentHashing(f.names(), f.catalog()));
    List<PolicyReport> reports = new ArrayList<>();
    Map<String, Double> cpuSeconds = new java.util.concurrent.ConcurrentSkipListMap<>();
    int threads = Math.min(policies.size(), Runtime.getRuntime().availableProcessors());
    try (ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "lorafleet-simulation");
      t.setDaemon(true);
      return t;
    })) {
      List<Future<PolicyReport>> futures = new ArrayList<>();
      for (var p : policies) {
        futures.add(pool.submit(() -> {
          long cpu = THREADS.getCurrentThreadCpuTime();
          PolicyReport r = new FleetSimulation(config, trace, catalog, names, p).run();
          cpuSeconds.put(r.policy(), (THREADS.getCurrentThreadCpuTime() - cpu) / 1e9);
          return r;
        }));
      }
      for (Future<PolicyReport> f : futures) {
        reports.add(f.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("simulation interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException("simulation failed", e.getCause());
    }
    GpuNodeModel m = config.node();
    double meanSteps = trace.meanSteps();
    double fullStep = m.stepSeconds(m.maxBatch(), Math.min(16, m.maxBatch()));
    double capacity = config.nodes() * m.maxBatch() / (meanSteps * fullStep);
    SimulationReport.TraceSummary summary = new SimulationReport.TraceSummary(trace.size(),
        trace.size() / w.durationSeconds(), meanSteps, catalog.meanBytes(), capacity, trace.bursts());
    return new SimulationReport(config, summary, reports, SimulationReport.Targets.FLEET,
        (System.nanoTime() - start) / 1e9, Map.copyOf(cpuSeconds), SimulationReport.Machine.current());
  }

  /** Node names, zero-padded so that name order is index order. */
  static String[] nodeNames(int n) {
    int width = Integer.toString(Math.max(0, n - 1)).length();
    String[] names = new String[n];
    for (int i = 0; i < n; i++) {
      names[i] = "node-" + AdapterPopulation.pad(i, width);
    }
    return names;
  }
}
