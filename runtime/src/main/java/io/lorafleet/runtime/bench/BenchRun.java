package io.lorafleet.runtime.bench;

import io.lorafleet.runtime.engine.EngineConfig;
import io.lorafleet.runtime.engine.LocalEngine;
import io.lorafleet.runtime.model.LoraAdapter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One benchmark run over a {@link SyntheticCheckpoint}: memory bandwidth first, then the engine on the
 * checkpoint, warmed up, through its phases: batch-1 decode (base model, then with one adapter),
 * batch-{@code N} decode on the base model, the same batch with a distinct adapter per request, a
 * long-prompt prefill and a 70-token one; then memory bandwidth again and the GEMM microbenchmark.
 */
public final class BenchRun {
  private static final Logger log = LoggerFactory.getLogger(BenchRun.class);
  private static final int WARMUP_BATCH = 8;
  private static final int WARMUP_PROMPT = 64;
  private static final int WARMUP_DECODE_PROMPT = 8;
  private static final long WARMUP_NANOS = 1_000_000_000L;
  private static final int MAX_WARMUP_RUNS = 500;
  /** Input rows of the GEMM microbenchmark (a prefill chunk). */
  private static final int GEMM_ROWS = 384;
  private static final int GEMM_REPS = 5;

  private BenchRun() {}

  public static BenchReport run(SyntheticCheckpoint checkpoint, BenchSettings s) {
    HostInfo host = HostInfo.detect();
    int threads = s.backendOptions().resolvedThreads();
    double loadBefore = HostInfo.loadAverage();
    if (loadBefore > host.cores() / 2.0) {
      log.warn("the system's load average is {} on {} cores: other processes will skew the figures", fmt(loadBefore),
          host.cores());
    }
    log.info("measuring memory bandwidth: up to {} MiB read by {} threads, {} reps per buffer size",
        s.bandwidthBytes() >> 20, threads, s.bandwidthReps());
    BandwidthProbe.Result before = BandwidthProbe.measure(s.bandwidthBytes(), threads, s.bandwidthReps());
    MemoryBandwidth.Result bandwidth = before.largest();
    log.info("memory bandwidth: best {} GB/s, median {} GB/s (reps {})", fmt(before.bestGbPerSecond()),
        fmt(before.medianGbPerSecond()), before.allGbPerSecond().stream().map(BenchRun::fmt).toList());

    EngineConfig config = s.engineConfig().withMaxWaiting(Math.max(s.engineConfig().maxWaiting(), s.batchSize()));
    String backendName;
    long bytesPerStep;
    PhaseResult[] engine;
    int adapterCount;
    MemoryFootprint memory;
    try (LocalEngine le = LocalEngine.open(checkpoint.modelDir(), s.backend(), s.backendOptions(), config)) {
      checkLimits(le, s);
      List<LoraAdapter> adapters = new ArrayList<>();
      for (Path dir : checkpoint.adapterDirs()) {
        adapters.add(le.loadAdapter(dir.getFileName().toString(), dir, 0));
      }
      log.info("loaded {} adapters ({} MiB each)", adapters.size(),
          adapters.isEmpty() ? 0 : adapters.getFirst().bytes() >> 20);
      int bos = le.tokenizer().bosTokenId().orElse(SyntheticTokenizer.BOS_ID);
      EnginePhases phases = new EnginePhases(le.engine(), bos);

      long t0 = System.nanoTime();
      int warmPrompt = Math.min(s.promptTokens(), WARMUP_DECODE_PROMPT);
      warm(() -> phases.decode("warmup-batch1", 1, List.of(), warmPrompt, 8));
      warm(() -> phases.decode("warmup-mixed", Math.min(WARMUP_BATCH, s.batchSize()), adapters, warmPrompt, 4));
      warm(() -> phases.prefill("warmup-prefill", Math.min(WARMUP_PROMPT, s.prefillTokens())));
      log.info("warm-up done in {} s", fmt((System.nanoTime() - t0) / 1e9));

      String b = Integer.toString(s.batchSize());
      PhaseResult batch1 = logged(phases.decode("batch1", 1, List.of(), s.promptTokens(), s.decodeTokens()));
      PhaseResult batch1Lora = logged(phases.decode("batch1-lora", 1, adapters.subList(0, Math.min(1, adapters.size())),
          s.promptTokens(), s.decodeTokens()));
      PhaseResult base = logged(phases.decode("batch" + b, s.batchSize(), List.of(), s.promptTokens(),
          s.decodeTokens()));
      PhaseResult mixed = logged(phases.decode("mixed" + b, s.batchSize(), adapters, s.promptTokens(),
          s.decodeTokens()));
      PhaseResult prefill = phases.prefill("prefill", s.prefillTokens());
      log.info("prefill: {} tokens, time to first token {} s", s.prefillTokens(),
          fmt(prefill.timeToFirstTokenSeconds()));
      PhaseResult prefill70 = phases.prefill("prefill70", BenchExtras.SHORT_PREFILL_TOKENS);
      log.info("prefill: {} tokens, time to first token {} s", BenchExtras.SHORT_PREFILL_TOKENS,
          fmt(prefill70.timeToFirstTokenSeconds()));
      backendName = le.backend().name();
      bytesPerStep = le.model().weights().bytesReadPerStep();
      engine = new PhaseResult[] {batch1, base, mixed, prefill, batch1Lora, prefill70};
      adapterCount = adapters.size();
      memory = MemoryFootprint.measure(le, checkpoint.modelDir(), adapters);
      log.info("memory: heap {} MiB + native {} MiB, adapters {} MiB; {} of model file + KV cache",
          memory.heapUsedBytes() >> 20, memory.nativeBytes() >> 20, memory.adapterBytes() >> 20,
          fmt(memory.overFilePlusKv()));
    }
    log.info("measuring memory bandwidth again, after the timed phases");
    BandwidthProbe.Result after = BandwidthProbe.measure(s.bandwidthBytes(), threads, s.bandwidthReps());
    log.info("memory bandwidth after: best {} GB/s, median {} GB/s", fmt(after.bestGbPerSecond()),
        fmt(after.medianGbPerSecond()));
    GemmBenchmark.Result gemm = GemmBenchmark.measure(GEMM_ROWS, checkpoint.shape().intermediateSize(),
        checkpoint.shape().hiddenSize(), threads, GEMM_REPS);
    log.info("GEMM {}x{}x{}: {} GFLOP/s, FMA peak {} GFLOP/s ({})", GEMM_ROWS, checkpoint.shape().intermediateSize(),
        checkpoint.shape().hiddenSize(), fmt(gemm.gemmGflops()), fmt(gemm.peakGflops()), fmt(gemm.peakFraction()));
    return new BenchReport(checkpoint.shape(), checkpoint.modelDir(), host, backendName, threads, adapterCount, s,
        bandwidth, bytesPerStep, engine[0], engine[1], engine[2], engine[3], Instant.now(), loadBefore,
        HostInfo.loadAverage(), new BenchExtras(before, after, engine[4], engine[5], gemm, memory));
  }

  /**
   * Runs {@code workload} at least once and again until {@link #WARMUP_NANOS} have passed: one pass over a
   * large model is enough for the JIT, a small model needs many.
   */
  private static void warm(Runnable workload) {
    long t0 = System.nanoTime();
    int runs = 0;
    do {
      workload.run();
      runs++;
    } while (System.nanoTime() - t0 < WARMUP_NANOS && runs < MAX_WARMUP_RUNS);
  }

  private static void checkLimits(LocalEngine le, BenchSettings s) {
    int maxLen = le.engine().maxModelLen();
    if (Math.max(s.prefillTokens(), BenchExtras.SHORT_PREFILL_TOKENS) + 1 > maxLen
        || s.promptTokens() + s.decodeTokens() + 1 > maxLen) {
      throw new IllegalArgumentException("the benchmark's prompts do not fit the context of " + maxLen
          + " tokens: lower --prefill-tokens or --decode-tokens");
    }
  }

  private static PhaseResult logged(PhaseResult p) {
    log.info("{}: {} requests, {} adapters: {} tokens/s over {} decode steps (median step {} ms)", p.name(),
        p.requests(), p.distinctAdapters(), fmt(p.decodeTokensPerSecond()), p.decodeTokens() / p.requests(),
        fmt(p.medianDecodeStepMillis()));
    return p;
  }

  static String fmt(double v) {
    return String.format("%.3g", v);
  }
}
