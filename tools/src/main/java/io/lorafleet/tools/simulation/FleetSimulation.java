package io.lorafleet.tools.simulation;

import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Runs one policy over the trace: the discrete-event loop. Arrivals come from the trace in time order; every
 * other event (batch completions, adapter transfers, announcements, gossip, supervisor ticks, metrics
 * windows) from the {@link EventQueue}; at equal times queued events go first. After the last arrival the
 * fleet drains: the run ends when every request is served, refused or timed out.
 */
final class FleetSimulation {
  /** What a policy is built from. */
  record Fleet(String[] names, GpuNode[] nodes, AdapterPopulation catalog, SimulationConfig config) {}

  private final SimulationConfig config;
  private final RequestTrace trace;
  private final EventQueue events = new EventQueue();
  private final PolicyMetrics metrics;
  private final GpuNode[] nodes;
  private final FleetPolicy policy;

  FleetSimulation(SimulationConfig config, RequestTrace trace, AdapterPopulation catalog, String[] names,
      Function<Fleet, FleetPolicy> policyFactory) {
    this.config = config;
    this.trace = trace;
    TraceSpec w = config.workload();
    this.metrics = new PolicyMetrics(trace, names.length, w.warmupSeconds(), w.durationSeconds(),
        config.windowSeconds());
    this.nodes = new GpuNode[names.length];
    Object[] stateOf = new Object[trace.size()];
    for (int i = 0; i < names.length; i++) {
      nodes[i] = new GpuNode(i, names[i], config.node(), events, trace, catalog, metrics, stateOf);
    }
    this.policy = policyFactory.apply(new Fleet(names, nodes, catalog, config));
  }

  PolicyReport run() {
    TraceSpec w = config.workload();
    double announce = policy.announceSeconds();
    if (announce > 0) {
      SplittableRandom phases = new SplittableRandom(config.seed() ^ 0xA5A5A5A5L);
      for (GpuNode n : nodes) {
        events.push(phases.nextDouble() * announce, EventQueue.ANNOUNCE, n.index, 0);
      }
    }
    if (policy.tickSeconds() > 0) {
      events.push(policy.tickSeconds(), EventQueue.TICK, 0, 0);
    }
    events.push(Math.min(config.windowSeconds(), w.durationSeconds()), EventQueue.WINDOW, 0, 0);
    double hardStop = w.durationSeconds() + 10 * config.node().requestTimeoutSeconds() + 3600;
    int next = 0;
    int n = trace.size();
    double now = 0;
    while (next < n || metrics.inSystem() > 0) {
      double arrival = next < n ? trace.time(next) : Double.POSITIVE_INFINITY;
      if (!events.isEmpty() && events.peekTime() <= arrival) {
        long e = events.pop();
        now = events.lastTime();
        if (now > hardStop) {
          break;
        }
        handle(e, now, w);
      } else if (next < n) {
        now = arrival;
        int r = next++;
        metrics.arrived(r);
        int node = policy.route(r, trace.adapter(r), trace.ingress(r), now);
        if (node < 0) {
          metrics.rejected(r);
        } else {
          nodes[node].arrive(r, now);
        }
      } else {
        break;
      }
    }
    if (metrics.inSystem() == 0 && now < w.durationSeconds()) {
      now = w.durationSeconds();
    }
    metrics.closeWindow(Math.min(now, w.durationSeconds()));
    return metrics.report(policy.name(), policy.extras());
  }

  private void handle(long e, double now, TraceSpec w) {
    int node = EventQueue.node(e);
    switch (EventQueue.kind(e)) {
      case EventQueue.COMPLETION -> nodes[node].complete(EventQueue.arg(e), now);
      case EventQueue.LOAD_DONE -> nodes[node].loadDone(EventQueue.arg(e), now);
      case EventQueue.ANNOUNCE -> {
        policy.announced(nodes[node].sample(now, policy.rateWindowSeconds()));
        if (policy.gossipSeconds() > 0) {
          events.push(now + policy.gossipSeconds(), EventQueue.PUBLISH, node, 0);
        } else {
          policy.published(node);
        }
        events.push(now + policy.announceSeconds(), EventQueue.ANNOUNCE, node, 0);
      }
      case EventQueue.PUBLISH -> policy.published(node);
      case EventQueue.TICK -> {
        policy.tick(now);
        events.push(now + policy.tickSeconds(), EventQueue.TICK, 0, 0);
      }
      case EventQueue.WINDOW -> {
        metrics.closeWindow(now);
        double end = now + config.windowSeconds();
        if (end <= w.durationSeconds() + 1e-9) {
          events.push(end, EventQueue.WINDOW, 0, 0);
        }
      }
      default -> throw new IllegalStateException("unknown event kind " + EventQueue.kind(e));
    }
  }
}
