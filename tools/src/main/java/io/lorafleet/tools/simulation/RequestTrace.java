package io.lorafleet.tools.simulation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The requests of a simulation, generated once from the seed and replayed to every policy: arrival time,
 * adapter, work in decode steps and the node that receives it (any node accepts requests; the load balancer
 * in front picks one at random). Held in primitive arrays (millions of requests).
 */
public final class RequestTrace {
  private final double[] time;
  private final int[] adapter;
  private final int[] steps;
  private final int[] ingress;
  private final int size;
  private final List<Burst> bursts;

  private RequestTrace(double[] time, int[] adapter, int[] steps, int[] ingress, int size, List<Burst> bursts) {
    this.time = time;
    this.adapter = adapter;
    this.steps = steps;
    this.ingress = ingress;
    this.size = size;
    this.bursts = List.copyOf(bursts);
  }

  /** A trace of the given requests (sorted by time), for tests. */
  static RequestTrace of(double[] time, int[] adapter, int[] steps, int[] ingress) {
    return new RequestTrace(time.clone(), adapter.clone(), steps.clone(), ingress.clone(), time.length, List.of());
  }

  /**
   * Generates the trace: Poisson arrivals at the workload's base rate with Zipf adapters, plus the bursts'
   * extra arrivals; the total rate is piecewise constant and changes where a burst starts or ends.
   */
  public static RequestTrace generate(TraceSpec w, GpuNodeModel node, int nodes, AdapterPopulation catalog, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Burst> bursts = bursts(w, catalog, random.split());
    double[] changes = bursts.stream().flatMapToDouble(b -> java.util.stream.DoubleStream.of(b.startSeconds(),
        b.endSeconds())).filter(t -> t < w.durationSeconds()).sorted().toArray();
    double extraMean = bursts.stream().mapToDouble(b -> b.extraRate()
        * (Math.min(b.endSeconds(), w.durationSeconds()) - b.startSeconds())).sum() / w.durationSeconds();
    int capacity = (int) Math.min(Integer.MAX_VALUE - 16, (w.ratePerSecond() + extraMean) * w.durationSeconds()
        * 1.05 + 1024);
    double[] time = new double[capacity];
    int[] adapter = new int[capacity];
    int[] steps = new int[capacity];
    int[] ingress = new int[capacity];
    int n = 0;
    double sigma = 0.8;
    double mu = Math.log(w.meanPromptTokens()) - sigma * sigma / 2;
    double t = 0;
    int nextChange = 0;
    List<Burst> active = new ArrayList<>();
    double rate = w.ratePerSecond();
    while (true) {
      double dt = -Math.log(1 - random.nextDouble()) / rate;
      double limit = nextChange < changes.length ? changes[nextChange] : w.durationSeconds();
      if (t + dt >= limit) {
        t = limit;
        if (nextChange >= changes.length) {
          break;
        }
        nextChange++;
        double at = t;
        active.clear();
        bursts.stream().filter(b -> b.startSeconds() <= at && at < b.endSeconds()).forEach(active::add);
        rate = w.ratePerSecond() + active.stream().mapToDouble(Burst::extraRate).sum();
        continue;
      }
      t += dt;
      if (n == time.length) {
        int grown = time.length + (time.length >> 1) + 1024;
        time = Arrays.copyOf(time, grown);
        adapter = Arrays.copyOf(adapter, grown);
        steps = Arrays.copyOf(steps, grown);
        ingress = Arrays.copyOf(ingress, grown);
      }
      time[n] = t;
      double pick = random.nextDouble() * rate - w.ratePerSecond();
      int a = -1;
      for (int i = 0; pick >= 0 && i < active.size(); i++) {
        Burst b = active.get(i);
        if (pick < b.extraRate()) {
          a = b.adapter();
          break;
        }
        pick -= b.extraRate();
      }
      adapter[n] = a >= 0 ? a : catalog.sample(random.nextDouble());
      double prompt = Math.max(1, Math.round(Math.exp(mu + sigma * random.nextGaussian())));
      int output = (int) Math.min(w.maxOutputTokens(),
          Math.max(1, Math.round(-Math.log(1 - random.nextDouble()) * w.meanOutputTokens())));
      steps[n] = output + (int) Math.ceil(prompt / node.prefillChunkTokens());
      ingress[n] = random.nextInt(nodes);
      n++;
    }
    return new RequestTrace(time, adapter, steps, ingress, n, bursts);
  }

  private static List<Burst> bursts(TraceSpec w, AdapterPopulation catalog, SplittableRandom random) {
    List<Burst> out = new ArrayList<>();
    if (w.burstsPerMinute() <= 0) {
      return out;
    }
    double perSecond = w.burstsPerMinute() / 60.0;
    double t = -Math.log(1 - random.nextDouble()) / perSecond;
    double lo = Math.log(Math.min(w.burstRankMin(), catalog.size()));
    double hi = Math.log(Math.min(w.burstRankMax(), catalog.size()));
    while (t < w.durationSeconds()) {
      int rank = (int) Math.min(catalog.size(), Math.max(1, Math.round(Math.exp(lo + (hi - lo) * random.nextDouble()))));
      double factor = w.burstFactorMin() + (w.burstFactorMax() - w.burstFactorMin()) * random.nextDouble();
      double length = w.burstSecondsMin() + (w.burstSecondsMax() - w.burstSecondsMin()) * random.nextDouble();
      double extra = (factor - 1) * w.ratePerSecond() * catalog.probability(rank);
      out.add(new Burst(t, t + length, catalog.atRank(rank), rank, factor, extra));
      t += -Math.log(1 - random.nextDouble()) / perSecond;
    }
    out.sort(Comparator.comparingDouble(Burst::startSeconds));
    return out;
  }

  public int size() {
    return size;
  }

  public double time(int request) {
    return time[request];
  }

  public int adapter(int request) {
    return adapter[request];
  }

  /** Decode steps the request occupies a batch slot for (prefill chunks + generated tokens). */
  public int steps(int request) {
    return steps[request];
  }

  /** The node that received the request. */
  public int ingress(int request) {
    return ingress[request];
  }

  public List<Burst> bursts() {
    return bursts;
  }

  /** Mean decode steps per request. */
  public double meanSteps() {
    long s = 0;
    for (int i = 0; i < size; i++) {
      s += steps[i];
    }
    return size == 0 ? 0 : (double) s / size;
  }
}
