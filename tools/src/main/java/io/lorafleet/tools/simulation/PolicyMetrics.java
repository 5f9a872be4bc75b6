package io.lorafleet.tools.simulation;

import io.lorafleet.tools.stats.LatencyHistogram;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Collects one policy's figures while it runs: per-request outcomes (measured when the request arrived
 * after the warm-up; counted for the accounting in any case), per-node routed and served counts, the
 * queueing-delay histogram, and per-window series.
 */
final class PolicyMetrics {
  private final RequestTrace trace;
  private final double warmup;
  private final double duration;
  private final double window;

  private long arrivedAll;
  private long servedAll;
  private long rejectedAll;
  private long timedOutAll;

  private long requests;
  private long admitted;
  private long hits;
  private long served;
  private long rejected;
  private long timedOut;
  private long transferBytes;
  private long deviceLoads;
  private final long[] routedPerNode;
  private final long[] servedPerNode;
  private final LatencyHistogram queueDelay = new LatencyHistogram();

  private final int[] windowRouted;
  private long windowAdmitted;
  private long windowHits;
  private long windowServed;
  private long windowDropped;
  private double windowStart;
  private final List<WindowStats> series = new ArrayList<>();

  PolicyMetrics(RequestTrace trace, int nodes, double warmup, double duration, double window) {
    this.trace = trace;
    this.warmup = warmup;
    this.duration = duration;
    this.window = window;
    this.routedPerNode = new long[nodes];
    this.servedPerNode = new long[nodes];
    this.windowRouted = new int[nodes];
  }

  private boolean measured(int request) {
    return trace.time(request) >= warmup;
  }

  void arrived(int request) {
    arrivedAll++;
    if (measured(request)) {
      requests++;
    }
  }

  /** The request reached {@code node} (whether it gets in or not). */
  void routed(int request, int node) {
    windowRouted[node]++;
    if (measured(request)) {
      routedPerNode[node]++;
    }
  }

  /** The node took the request; {@code hit}: its adapter was on the device. */
  void admitted(int request, boolean hit) {
    windowAdmitted++;
    if (hit) {
      windowHits++;
    }
    if (measured(request)) {
      admitted++;
      if (hit) {
        hits++;
      }
    }
  }

  void rejected(int request) {
    rejectedAll++;
    windowDropped++;
    if (measured(request)) {
      rejected++;
    }
  }

  void timedOut(int request) {
    timedOutAll++;
    windowDropped++;
    if (measured(request)) {
      timedOut++;
    }
  }

  /** The request entered a batch at {@code now}. */
  void started(int request, double now) {
    if (measured(request)) {
      queueDelay.recordSeconds(now - trace.time(request));
    }
  }

  void served(int request, int node) {
    servedAll++;
    windowServed++;
    if (measured(request)) {
      served++;
      servedPerNode[node]++;
    }
  }

  void transferred(long bytes, double now) {
    if (now >= warmup) {
      transferBytes += bytes;
      deviceLoads++;
    }
  }

  long inSystem() {
    return arrivedAll - servedAll - rejectedAll - timedOutAll;
  }

  /** Closes the window that ends at {@code now}. */
  void closeWindow(double now) {
    double length = now - windowStart;
    if (length <= 0) {
      return;
    }
    series.add(new WindowStats(windowStart, windowStart < warmup,
        windowAdmitted == 0 ? 1.0 : (double) windowHits / windowAdmitted, maxOverMean(windowRouted),
        windowServed / length, windowDropped / length));
    java.util.Arrays.fill(windowRouted, 0);
    windowAdmitted = 0;
    windowHits = 0;
    windowServed = 0;
    windowDropped = 0;
    windowStart = now;
  }

  double window() {
    return window;
  }

  static double maxOverMean(int[] counts) {
    long sum = 0;
    int max = 0;
    for (int c : counts) {
      sum += c;
      max = Math.max(max, c);
    }
    return sum == 0 ? 1.0 : max / ((double) sum / counts.length);
  }

  static double maxOverMean(long[] counts) {
    long sum = 0;
    long max = 0;
    for (long c : counts) {
      sum += c;
      max = Math.max(max, c);
    }
    return sum == 0 ? 1.0 : max / ((double) sum / counts.length);
  }

  PolicyReport report(String policy, Map<String, Object> extras) {
    double measuredSeconds = duration - warmup;
    double worst = series.stream().filter(w -> !w.warmup()).mapToDouble(WindowStats::maxMeanLoad).max().orElse(1.0);
    return new PolicyReport(policy, requests, served, rejected, timedOut, served / measuredSeconds,
        admitted == 0 ? 0 : (double) hits / admitted, maxOverMean(routedPerNode), worst, maxOverMean(servedPerNode),
        transferBytes, deviceLoads, queueDelay.p50Millis(), queueDelay.p99Millis(),
        queueDelay.meanMillis(), queueDelay.maxMillis(), extras,
        new PolicyReport.Accounting(arrivedAll, servedAll, rejectedAll, timedOutAll, inSystem()),
        routedPerNode.clone(), List.copyOf(series));
  }
}
