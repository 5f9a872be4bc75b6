package io.lorafleet.tools.gpubench;

import io.lorafleet.tools.gpubench.SystemResult.LatencyFigure;
import io.lorafleet.tools.gpubench.SystemResult.ThroughputFigure;
import io.lorafleet.tools.stats.LatencyHistogram;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request-level figures, run the same way against any {@link Target}: sequential latency per adapter
 * count (figures a and d) and closed-loop throughput (figure b).
 */
final class LoadPhases {
  private static final Logger log = LoggerFactory.getLogger(LoadPhases.class);
  /** Untimed requests before each latency point. */
  static final int WARMUP_REQUESTS = 5;

  private final Target target;
  private final GpuBenchWorkload w;
  private final Prompts prompts;
  private final String name;
  private final AtomicLong ids = new AtomicLong();
  private final int available;

  /** {@code available}: how many adapters the target has (throughput draws from at most that many). */
  LoadPhases(String name, Target target, GpuBenchWorkload workload, int available, int vocabSize, int bosId) {
    this.name = name;
    this.available = available;
    this.target = target;
    this.w = workload;
    this.prompts = new Prompts(workload.seed(), vocabSize, bosId);
  }

  private String nextId() {
    return name + "-" + ids.getAndIncrement();
  }

  /** Sequential requests over the first {@code adapters} adapters: one latency point. */
  LatencyFigure latency(int adapters, int requests) {
    for (int i = 0; i < WARMUP_REQUESTS; i++) {
      target.generate(nextId(), prompts.adapter(adapters), prompts.next(w.promptTokens()), w.newTokens());
    }
    double[] ms = new double[requests];
    for (int i = 0; i < requests; i++) {
      Target.Completion c = target.generate(nextId(), prompts.adapter(adapters), prompts.next(w.promptTokens()),
          w.newTokens());
      check(c, w.newTokens());
      ms[i] = c.millis();
    }
    LatencyFigure f = LatencyFigure.of(adapters, w.promptTokens(), w.newTokens(), ms);
    log.info("{}: latency over {} adapters: p50 {} ms, p99 {} ms ({} requests)", name, adapters, fmt(f.p50Ms()),
        fmt(f.p99Ms()), requests);
    return f;
  }

  /**
   * The sweep: one latency point per adapter count of the workload, those above what the target has noted in
   * {@code notes} as skipped; {@code onPoint} gets the points so far after each one.
   */
  void sweep(List<String> notes, Consumer<List<LatencyFigure>> onPoint) {
    List<LatencyFigure> points = new ArrayList<>();
    for (int n : w.sweep()) {
      if (n > available) {
        notes.add("latency point with " + n + " adapters skipped: only " + available + " were generated");
        continue;
      }
      points.add(latency(n, w.requestsFor(n)));
      onPoint.accept(List.copyOf(points));
    }
  }

  /**
   * {@code concurrency} clients, each sending its next request as soon as its last one finished, until
   * {@code throughputRequests} are done; adapters drawn from the first {@code throughputAdapters} (or all
   * the target has, when it has fewer: the figure says how many).
   */
  ThroughputFigure throughput(String method) {
    int total = w.throughputRequests();
    int drawn = Math.min(w.throughputAdapters(), available);
    int[][] promptOf = new int[total][];
    int[] adapterOf = new int[total];
    for (int i = 0; i < total; i++) {
      promptOf[i] = prompts.next(w.promptTokens());
      adapterOf[i] = prompts.adapter(drawn);
    }
    AtomicInteger next = new AtomicInteger();
    AtomicLong generated = new AtomicLong();
    double[] ms = new double[total];
    long t0 = System.nanoTime();
    try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> done = new ArrayList<>();
      for (int c = 0; c < w.concurrency(); c++) {
        done.add(clients.submit(() -> {
          int i;
          while ((i = next.getAndIncrement()) < total) {
            Target.Completion r = target.generate(nextId(), adapterOf[i], promptOf[i], w.throughputNewTokens());
            check(r, w.throughputNewTokens());
            ms[i] = r.millis();
            generated.addAndGet(r.generatedTokens());
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(name + ": a throughput request failed: " + e.getCause().getMessage(),
          e.getCause());
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    ThroughputFigure f = new ThroughputFigure(method, w.concurrency(), drawn, total,
        w.promptTokens(), w.throughputNewTokens(), generated.get(), seconds, generated.get() / seconds,
        LatencyHistogram.ofMillis(ms).p50Millis());
    log.info("{}: throughput {} tokens/s ({} requests, {} in flight, {} s)", name, fmt(f.tokensPerS()), total,
        w.concurrency(), fmt(seconds));
    return f;
  }

  private static void check(Target.Completion c, int newTokens) {
    if (c.generatedTokens() != newTokens) {
      throw new IllegalStateException("a request generated " + c.generatedTokens() + " tokens, " + newTokens
          + " were asked for");
    }
  }

  static String fmt(double v) {
    return String.format(java.util.Locale.ROOT, "%.3g", v);
  }
}
