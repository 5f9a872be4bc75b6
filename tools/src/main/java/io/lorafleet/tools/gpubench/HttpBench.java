package io.lorafleet.tools.gpubench;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorafleet.tools.gpubench.SystemResult.LatencyFigure;
import io.lorafleet.tools.gpubench.SystemResult.ThroughputFigure;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request-level figures through a running {@code lorafleet serve} that registered the manifest's
 * adapters: every adapter is used once first (so that the figures see them resident, as the engine side
 * and the peer do; how long that took is noted), then the latency sweep (a, d) and closed-loop throughput
 * (b), exactly as {@link EngineBench} runs them in-process.
 */
final class HttpBench {
  private static final Logger log = LoggerFactory.getLogger(HttpBench.class);

  /**
   * How the HTTP side runs.
   *
   * @param workload        the requests
   * @param url             the server's base URL
   * @param requestTimeout  limit per request
   * @param warmConcurrency requests in flight while every adapter is used once
   * @param healthWait      how long to wait for {@code /health}
   */
  record Settings(GpuBenchWorkload workload, URI url, Duration requestTimeout, int warmConcurrency, Duration healthWait) {}

  private final BenchManifest manifest;
  private final Settings s;
  private final GpuBenchWorkload w;
  private final Consumer<SystemResult> progress;
  private final Map<String, String> environment = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();
  private List<LatencyFigure> latency = List.of();
  private ThroughputFigure throughput;

  HttpBench(BenchManifest manifest, Settings settings, Consumer<SystemResult> progress) {
    this.manifest = manifest;
    this.s = settings;
    this.w = settings.workload();
    this.progress = progress;
  }

  private SystemResult result() {
    return new SystemResult("lorafleet-http", "lorafleet serve, LoRAX POST /generate over HTTP/1.1 keep-alive from "
        + "this process (client wall time)", environment, w, latency, throughput, null, null, Map.of(), notes);
  }

  SystemResult run() throws InterruptedException {
    List<String> names = manifest.adapters().stream().map(BenchManifest.Adapter::name).toList();
    try (HttpTarget target = new HttpTarget(s.url(), names, s.requestTimeout())) {
      if (!target.client().awaitHealthy(s.healthWait())) {
        throw new IllegalStateException(s.url() + "/health did not answer 200 within " + s.healthWait().toSeconds() + " s");
      }
      environment.put("url", s.url().toString());
      info(target).forEach(environment::put);
      progress.accept(result());
      warm(target, names.size());
      progress.accept(result());

      LoadPhases load = new LoadPhases("http", target, w, names.size(), manifest.vocabSize(),
          manifest.bosTokenId());
      load.sweep(notes, points -> {
        latency = points;
        progress.accept(result());
      });
      throughput = load.throughput("continuous batching behind HTTP, " + w.concurrency()
          + " requests in flight (closed loop)");
      progress.accept(result());
      return result();
    }
  }

  /** What {@code /info} says about the model and device. */
  private Map<String, String> info(HttpTarget target) {
    Map<String, String> out = new LinkedHashMap<>();
    try {
      JsonNode info = target.client().info(Duration.ofSeconds(10));
      out.put("backend", info.path("model_device_type").asText());
      out.put("model", info.path("model_id").asText());
      out.put("registered_adapters", Integer.toString(info.path("preloaded_adapters").size()));
    } catch (IOException e) {
      notes.add("GET /info failed: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return out;
  }

  /** Every adapter once (one new token), {@code warmConcurrency} at a time; checks the server's token counts. */
  private void warm(HttpTarget target, int adapters) throws InterruptedException {
    Prompts prompts = new Prompts(w.seed() ^ 0x5eed, manifest.vocabSize(), manifest.bosTokenId());
    int[] prompt = prompts.next(w.promptTokens());
    Target.Completion first = target.generate("warm-check", 0, prompt, 1);
    if (first.promptTokens() != w.promptTokens() || first.generatedTokens() != 1) {
      throw new IllegalStateException("the server counted " + first.promptTokens() + " prompt and "
          + first.generatedTokens() + " generated tokens for a request of " + w.promptTokens() + " and 1: its "
          + "tokenizer is not the synthetic model's");
    }
    AtomicInteger next = new AtomicInteger(1);
    long t0 = System.nanoTime();
    try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> done = new ArrayList<>();
      for (int c = 0; c < Math.max(1, s.warmConcurrency()); c++) {
        done.add(clients.submit(() -> {
          int i;
          while ((i = next.getAndIncrement()) < adapters) {
            target.generate("warm-" + i, i, prompt, 1);
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("warming the adapters failed: " + e.getCause().getMessage(), e.getCause());
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    notes.add(String.format(java.util.Locale.ROOT, "before the figures, each of the %d adapters was used once "
        + "(%d at a time): %.1f s, first use included (disk, host cache, device)", adapters, s.warmConcurrency(),
        seconds));
    log.info("http: {} adapters used once in {} s", adapters, LoadPhases.fmt(seconds));
  }
}
