package io.lorafleet.tools.loadtest;

import io.lorafleet.tools.client.GenerationClient;
import io.lorafleet.tools.client.MetricsScrape;
import io.lorafleet.tools.client.RequestOutcome;
import io.lorafleet.tools.client.ServingApi;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The overload measurement of priority classes against one node, in phases of the same length: an
 * interactive client alone (open loop, Poisson arrivals, streamed, so that time to first token is seen); the
 * same client while a batch client keeps far more requests outstanding than the node can run (closed loop:
 * each of its {@code batchConcurrency} slots sends its next non-streamed request as soon as the previous one
 * ends); and, for comparison, the same flood with no classes (neither client sends a priority). The batch
 * flood starts a warm-up before the measured window, so the queue is full when it begins; at the window's end
 * the batch client's outstanding requests are abandoned (the node cancels them). An unmeasured warm-up of both
 * clients ({@code warmup} long) comes first, so that no phase pays for the JIT compiling the request path.
 */
final class PriorityLoad {
  /**
   * What to run.
   *
   * @param interactiveRate    interactive requests started per second (Poisson)
   * @param batchConcurrency   batch requests kept outstanding (0: no batch client in any phase)
   * @param comparisonPhase    also run the flood with no priority field (the FIFO baseline)
   */
  record Settings(ServingApi api, String adapter, double interactiveRate, int interactivePromptWords,
      int interactiveTokens, int batchConcurrency, int batchPromptWords, int batchTokens, Duration duration,
      Duration warmup, Duration pause, Duration timeout, long seed, boolean comparisonPhase) {}

  /** Latency percentiles in milliseconds (NaN when there is no sample). */
  record Latency(long count, double p50, double p90, double p99, double max, double mean) {
    static Latency of(List<Double> ms) {
      if (ms.isEmpty()) {
        return new Latency(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
      }
      List<Double> sorted = new ArrayList<>(ms);
      Collections.sort(sorted);
      double sum = 0;
      for (double v : sorted) {
        sum += v;
      }
      return new Latency(sorted.size(), rank(sorted, 0.50), rank(sorted, 0.90), rank(sorted, 0.99),
          sorted.getLast(), sum / sorted.size());
    }

    /** Nearest-rank percentile. */
    private static double rank(List<Double> sorted, double q) {
      int i = (int) Math.ceil(q * sorted.size()) - 1;
      return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }
  }

  /**
   * One phase's figures.
   *
   * @param name                 "alone", "flood" or "flood-no-classes"
   * @param interactivePriority  what the interactive client sent (null: no field)
   * @param batchPriority        what the batch client sent (null: no field, or no batch client)
   * @param batchRunning         whether the batch client ran
   * @param interactiveTtftMs    time to first token of the interactive requests started in the window
   * @param interactiveE2eMs     their end-to-end time
   * @param batchCompleted       batch requests that completed (200) within the window
   * @param batchTokens          tokens of those
   * @param batchFailedByReason  batch requests that failed within the window, by status or reason
   * @param nodeMetrics          per-class deltas of the node's counters over the window (admitted, preempted,
   *                             promoted) and the mean time in the engine's queue of the requests admitted in it
   *                             ({@code queue_time_mean_ms.CLASS}), when /metrics was readable
   */
  record Phase(String name, String interactivePriority, String batchPriority, boolean batchRunning, double seconds,
      long interactiveSent, long interactiveOk, Map<String, Long> interactiveFailedByReason, Latency interactiveTtftMs,
      Latency interactiveE2eMs, long batchSent, long batchCompleted, long batchTokens,
      Map<String, Long> batchFailedByReason, Map<String, Double> nodeMetrics, double loadAverageStart,
      double loadAverageEnd) {}

  private final Settings settings;
  private final GenerationClient client;
  private final PrintStream progress;

  PriorityLoad(Settings settings, GenerationClient client, PrintStream progress) {
    this.settings = settings;
    this.client = client;
    this.progress = progress;
  }

  /** All phases, in order. */
  List<Phase> run() throws InterruptedException {
    // Unmeasured: both clients for the warm-up, so that no phase pays for the JIT compiling the request path.
    phase("warm-up", "interactive", "batch", settings.batchConcurrency() > 0, 0, settings.warmup());
    pause();
    List<Phase> phases = new ArrayList<>();
    phases.add(phase("alone", "interactive", null, false, 1));
    if (settings.batchConcurrency() > 0) {
      pause();
      phases.add(phase("flood", "interactive", "batch", true, 2));
      if (settings.comparisonPhase()) {
        pause();
        phases.add(phase("flood-no-classes", null, null, true, 3));
      }
    }
    return phases;
  }

  private void pause() throws InterruptedException {
    Thread.sleep(settings.pause().toMillis());
  }

  /** The batch client: a closed loop of {@code batchConcurrency} slots. */
  private final class BatchFlood {
    private final String priority;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final ConcurrentLinkedQueue<GenerationClient.Exchange> exchanges = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<RequestOutcome> outcomes = new ConcurrentLinkedQueue<>();
    private final PromptSource prompts = new PromptSource(settings.batchPromptWords());
    private final SplittableRandom random;

    BatchFlood(String priority, long seed) {
      this.priority = priority;
      this.random = new SplittableRandom(seed);
    }

    void start() {
      for (int i = 0; i < settings.batchConcurrency(); i++) {
        next();
      }
    }

    private void next() {
      if (stopped.get()) {
        return;
      }
      String prompt;
      synchronized (random) {
        prompt = prompts.next(random);
      }
      GenerationClient.Exchange x = client.send(settings.api(), false, settings.adapter(), prompt,
          settings.batchTokens(), priority, settings.timeout(), false, System.nanoTime());
      exchanges.add(x);
      x.outcome().whenComplete((o, err) -> {
        exchanges.remove(x);
        if (o != null && (o.result() == RequestOutcome.Result.OK || !stopped.get())) {
          outcomes.add(o); // not the requests this client abandoned itself at the end
        }
        if (!stopped.get()) {
          // Off the HTTP client's thread; after a refusal (503) or a failure, 50 ms later rather than spinning.
          boolean ok = o != null && o.result() == RequestOutcome.Result.OK;
          CompletableFuture.runAsync(this::next, ok ? CompletableFuture.delayedExecutor(0, TimeUnit.MILLISECONDS)
              : CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS));
        }
      });
    }

    /** Stops sending and abandons the requests still outstanding (the node cancels them). */
    void stop() {
      stopped.set(true);
      for (GenerationClient.Exchange x : exchanges) {
        x.giveUp();
      }
    }
  }

  private Phase phase(String name, String interactivePriority, String batchPriority, boolean withBatch, int index)
      throws InterruptedException {
    return phase(name, interactivePriority, batchPriority, withBatch, index, settings.duration());
  }

  private Phase phase(String name, String interactivePriority, String batchPriority, boolean withBatch, int index,
      Duration window) throws InterruptedException {
    BatchFlood flood = null;
    if (withBatch) {
      flood = new BatchFlood(batchPriority, settings.seed() * 31 + index);
      flood.start();
      log("phase %s: batch client with %d outstanding requests, %.0f s warm-up", name, settings.batchConcurrency(),
          settings.warmup().toMillis() / 1000.0);
      Thread.sleep(settings.warmup().toMillis());
    }
    log("phase %s: interactive client at %.2f req/s for %.0f s", name, settings.interactiveRate(),
        window.toMillis() / 1000.0);
    MetricsScrape before = client.metrics(settings.timeout()).join();
    double loadStart = loadAverage();
    SplittableRandom root = new SplittableRandom(settings.seed() + index);
    SplittableRandom arrivals = root.split();
    SplittableRandom promptRandom = root.split();
    PromptSource prompts = new PromptSource(settings.interactivePromptWords());
    long windowStart = System.nanoTime();
    long windowEnd = windowStart + window.toNanos();
    double meanGap = 1e9 / settings.interactiveRate();
    List<GenerationClient.Exchange> interactive = new ArrayList<>();
    double next = windowStart + exponential(arrivals, meanGap);
    while (next < windowEnd) {
      long at = (long) next;
      parkUntil(at);
      if (Thread.interrupted()) {
        throw new InterruptedException("load test interrupted");
      }
      interactive.add(client.send(settings.api(), true, settings.adapter(), prompts.next(promptRandom),
          settings.interactiveTokens(), interactivePriority, settings.timeout(), false, at));
      next += exponential(arrivals, meanGap);
    }
    parkUntil(windowEnd);
    List<RequestOutcome> interactiveOutcomes = drain(interactive);
    double loadEnd = loadAverage();
    MetricsScrape after = client.metrics(settings.timeout()).join();
    long end = System.nanoTime();
    List<RequestOutcome> batchOutcomes = new ArrayList<>();
    if (flood != null) {
      flood.stop();
      for (RequestOutcome o : flood.outcomes) {
        if (o.endNanos() >= windowStart && o.endNanos() <= end) {
          batchOutcomes.add(o);
        }
      }
    }
    return summarize(name, interactivePriority, batchPriority, withBatch, (end - windowStart) / 1e9,
        interactiveOutcomes, batchOutcomes, before, after, loadStart, loadEnd);
  }

  private static Phase summarize(String name, String interactivePriority, String batchPriority, boolean withBatch,
      double seconds, List<RequestOutcome> interactive, List<RequestOutcome> batch, MetricsScrape before,
      MetricsScrape after, double loadStart, double loadEnd) {
    List<Double> ttft = new ArrayList<>();
    List<Double> e2e = new ArrayList<>();
    long ok = 0;
    Map<String, Long> failed = new TreeMap<>();
    for (RequestOutcome o : interactive) {
      if (o.result() == RequestOutcome.Result.OK) {
        ok++;
        if (o.firstTokenNanos() != 0) {
          ttft.add((o.firstTokenNanos() - o.scheduledNanos()) / 1e6);
        }
        e2e.add((o.endNanos() - o.scheduledNanos()) / 1e6);
      } else {
        failed.merge(String.valueOf(o.reason()), 1L, Long::sum);
      }
    }
    long completed = 0;
    long tokens = 0;
    Map<String, Long> batchFailed = new TreeMap<>();
    for (RequestOutcome o : batch) {
      if (o.result() == RequestOutcome.Result.OK) {
        completed++;
        tokens += o.generatedTokens();
      } else {
        batchFailed.merge(String.valueOf(o.reason()), 1L, Long::sum);
      }
    }
    Map<String, Double> node = new TreeMap<>();
    if (!before.isEmpty() && !after.isEmpty()) {
      for (String metric : List.of("lorafleet_admitted_requests_total", "lorafleet_preemptions_total",
          "lorafleet_priority_promotions_total")) {
        for (String cls : List.of("interactive", "standard", "batch")) {
          double b = before.value(metric, "class", cls).orElse(Double.NaN);
          double a = after.value(metric, "class", cls).orElse(Double.NaN);
          if (!Double.isNaN(a) && !Double.isNaN(b)) {
            node.put(metric.replace("lorafleet_", "").replace("_total", "") + "." + cls, a - b);
          }
        }
      }
      // The engine's queue (arrival in the engine to the first step), mean over the window, per class.
      for (String cls : List.of("interactive", "standard", "batch")) {
        double n = after.value("lorafleet_queue_time_seconds_count", "class", cls).orElse(0.0)
            - before.value("lorafleet_queue_time_seconds_count", "class", cls).orElse(0.0);
        double sum = after.value("lorafleet_queue_time_seconds_sum", "class", cls).orElse(0.0)
            - before.value("lorafleet_queue_time_seconds_sum", "class", cls).orElse(0.0);
        if (n > 0) {
          node.put("queue_time_mean_ms." + cls, Math.round(sum / n * 1e4) / 10.0);
        }
      }
    }
    return new Phase(name, interactivePriority, batchPriority, withBatch, seconds, interactive.size(), ok, failed,
        Latency.of(ttft), Latency.of(e2e), batch.size(), completed, tokens, batchFailed, node, loadStart, loadEnd);
  }

  /** Waits for the interactive responses, up to the timeout; gives up on the rest. */
  private List<RequestOutcome> drain(List<GenerationClient.Exchange> started) throws InterruptedException {
    CompletableFuture<?>[] all = started.stream().map(GenerationClient.Exchange::outcome)
        .toArray(CompletableFuture[]::new);
    try {
      CompletableFuture.allOf(all).get(settings.timeout().toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // the stragglers are given up below
    }
    List<RequestOutcome> out = new ArrayList<>(started.size());
    for (GenerationClient.Exchange x : started) {
      out.add(x.giveUp());
    }
    return out;
  }

  private void log(String format, Object... args) {
    if (progress != null) {
      progress.printf("lorafleet loadtest-priority: " + format + "%n", args);
    }
  }

  /** The machine's one-minute load average (negative where the platform has none). */
  static double loadAverage() {
    return Math.round(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage() * 100) / 100.0;
  }

  private static double exponential(SplittableRandom random, double mean) {
    return -Math.log(1.0 - random.nextDouble()) * mean;
  }

  private static void parkUntil(long deadline) {
    long left;
    while ((left = deadline - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
      if (Thread.currentThread().isInterrupted()) {
        return;
      }
    }
  }
}
