package io.lorafleet.tools.loadtest;

import io.lorafleet.tools.client.GenerationClient;
import io.lorafleet.tools.client.MetricsScrape;
import io.lorafleet.tools.client.RequestOutcome;
import io.lorafleet.tools.stats.ZipfDistribution;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The open loop: requests start at Poisson arrival times whatever the responses do (nothing waits for a
 * response before the next start), each for an adapter drawn from a Zipf popularity, through the JDK's
 * {@link GenerationClient}. Arrivals beyond the concurrency limit, and requests that cannot connect, are
 * recorded as not started. After the last arrival the generator waits up to the timeout for the responses
 * still running, then gives up on them (failed: timeout). The node's {@code /metrics} are scraped at the
 * start of the measured window and at the end, for the cache hit rates.
 */
final class LoadGenerator {
  private static final long PROGRESS_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final LoadTestSettings settings;
  private final GenerationClient client;
  private final List<String> adapters;
  private final PrintStream progress;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong completedOk = new AtomicLong();

  /** A started request: its exchange and the future of its outcome (counted in and out of flight). */
  private record Started(GenerationClient.Exchange exchange, CompletableFuture<RequestOutcome> outcome) {}

  /**
   * @param adapters the adapter ids, most popular first (empty: base model only)
   * @param progress where a progress line goes every 10 s (null: nowhere)
   */
  LoadGenerator(LoadTestSettings settings, GenerationClient client, List<String> adapters, PrintStream progress) {
    this.settings = settings;
    this.client = client;
    this.adapters = List.copyOf(adapters);
    this.progress = progress;
  }

  LoadRun run() throws InterruptedException {
    SplittableRandom root = new SplittableRandom(settings.seed());
    SplittableRandom arrivals = root.split();
    SplittableRandom choices = root.split();
    SplittableRandom prompts = root.split();
    ZipfDistribution zipf = adapters.isEmpty() ? null : new ZipfDistribution(adapters.size(), settings.zipf());
    PromptSource promptSource = new PromptSource(settings.promptTokens());
    double meanGapNanos = 1e9 / settings.rate();

    CompletableFuture<MetricsScrape> before = settings.warmup().isZero() ? CompletableFuture.completedFuture(
        scrape().join()) : null;
    double loadBefore = loadAverage();
    long t0 = System.nanoTime();
    long windowStart = t0 + settings.warmup().toNanos();
    long windowEnd = windowStart + settings.duration().toNanos();
    List<Started> started = new ArrayList<>();
    List<RequestOutcome> outcomes = new ArrayList<>();
    long nextProgress = t0 + PROGRESS_NANOS;
    double next = t0 + exponential(arrivals, meanGapNanos);
    while (next < windowEnd) {
      long at = (long) next;
      if (before == null && at >= windowStart) {
        parkUntil(windowStart);
        before = scrape();
      }
      parkUntil(at);
      if (Thread.interrupted()) {
        throw new InterruptedException("load test interrupted");
      }
      String adapter = zipf == null ? null : adapters.get(zipf.sample(choices));
      String prompt = promptSource.next(prompts);
      boolean warmup = at < windowStart;
      if (settings.concurrencyLimit() > 0 && inFlight.get() >= settings.concurrencyLimit()) {
        outcomes.add(RequestOutcome.notStarted(adapter, warmup, "concurrency_limit", at));
      } else {
        Started s = start(adapter, prompt, warmup, at);
        if (!s.exchange().started()) {
          outcomes.add(s.outcome().join());
        } else {
          started.add(s);
        }
      }
      long now = System.nanoTime();
      if (progress != null && now >= nextProgress) {
        progress.printf("lorafleet loadtest: %4.0f s, %d started, %d in flight, %d ok%n", (now - t0) / 1e9,
            started.size(), inFlight.get(), completedOk.get());
        nextProgress += PROGRESS_NANOS;
      }
      next += exponential(arrivals, meanGapNanos);
    }
    if (before == null) {
      parkUntil(windowStart);
      before = scrape();
    }
    parkUntil(windowEnd);
    outcomes.addAll(drain(started));
    MetricsScrape after = scrape().join();
    LoadTestReport.Client machine = new LoadTestReport.Client(Runtime.getRuntime().availableProcessors(), loadBefore,
        loadAverage());
    return new LoadRun(List.copyOf(outcomes), windowStart, windowEnd, before.join(), after, machine);
  }

  private Started start(String adapter, String prompt, boolean warmup, long scheduled) {
    inFlight.incrementAndGet();
    GenerationClient.Exchange x = client.send(settings.api(), settings.stream(), adapter, prompt,
        settings.maxNewTokens(), settings.timeout(), warmup, scheduled);
    if (!x.started()) {
      inFlight.decrementAndGet();
      return new Started(x, x.outcome());
    }
    CompletableFuture<RequestOutcome> outcome = x.outcome().thenApply(o -> {
      inFlight.decrementAndGet();
      if (o.result() == RequestOutcome.Result.OK) {
        completedOk.incrementAndGet();
      }
      return o;
    });
    return new Started(x, outcome);
  }

  /** Waits for the responses still running, up to the timeout; gives up on the rest. */
  private List<RequestOutcome> drain(List<Started> started) throws InterruptedException {
    CompletableFuture<?>[] all = started.stream().map(Started::outcome).toArray(CompletableFuture[]::new);
    try {
      CompletableFuture.allOf(all).get(settings.timeout().toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // the stragglers are given up below
    }
    List<RequestOutcome> out = new ArrayList<>(started.size());
    for (Started s : started) {
      out.add(s.outcome().isDone() ? s.outcome().join() : s.exchange().giveUp());
    }
    return out;
  }

  private CompletableFuture<MetricsScrape> scrape() {
    return client.metrics(settings.timeout());
  }

  /** The machine's one-minute load average (negative where the platform has none). */
  private static double loadAverage() {
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
