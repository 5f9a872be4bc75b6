package io.lorafleet.tools.bench;

import io.lorafleet.runtime.backend.cpu.CpuBackend;
import io.lorafleet.runtime.constrain.OutputConstraint;
import io.lorafleet.runtime.engine.EngineConfig;
import io.lorafleet.runtime.engine.LoadedModel;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.model.Quantization;
import io.lorafleet.tools.report.HostInfo;
import io.lorafleet.tools.synthetic.SyntheticCheckpoint;
import io.lorafleet.tools.synthetic.SyntheticTokenizer;
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
  /** Pairs of (base, half-constrained) batches measured one after the other for the overhead figure. */
  static final int OVERHEAD_PAIRS = 3;
  /**
   * The constraint of half the rows in the constrained phase: words of the synthetic vocabulary {@code t1} ..
   * {@code t9999} (about a third of it) separated by spaces, never complete, so every row decodes the same
   * number of tokens as the base batch.
   */
  static final OutputConstraint BENCH_CONSTRAINT = OutputConstraint.regex("t[1-9][0-9]{0,3}( t[1-9][0-9]{0,3})*");

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
    boolean nativeGemmInUse;
    long bytesPerStep;
    long int8BytesPerStep;
    Quantization quantize;
    PhaseResult[] engine;
    int adapterCount;
    MemoryFootprint memory;
    PhaseResult constrained;
    List<Double> overheadRatios = new ArrayList<>();
    List<Double> cpuOverheadRatios = new ArrayList<>();
    ConstraintCost cost;
    try (LoadedModel le = LoadedModel.open(checkpoint.modelDir(), s.backend(), s.backendOptions(), config)) {
      checkLimits(le, s);
      List<LoraAdapter> adapters = new ArrayList<>();
      for (Path dir : checkpoint.adapterDirs()) {
        adapters.add(le.loadAdapter(dir.getFileName().toString(), dir, 0));
      }
      log.info("loaded {} adapters ({} MiB each)", adapters.size(),
          adapters.isEmpty() ? 0 : adapters.getFirst().bytes() >> 20);
      int bos = le.tokenizer().bosTokenId().orElse(SyntheticTokenizer.BOS_ID);
      EnginePhases phases = new EnginePhases(le.engine(), bos);

      cost = ConstraintCost.measure(le.engine(), BENCH_CONSTRAINT);
      log.info("constraint {}: compiled in {} ms ({} DFA states), first mask over {} tokens in {} ms ({} allowed)",
          BENCH_CONSTRAINT, fmt(cost.compileMillis()), cost.dfaStates(), cost.vocabSize(), fmt(cost.firstMaskMillis()),
          cost.allowedAtStart());
      long t0 = System.nanoTime();
      int warmPrompt = Math.min(s.promptTokens(), WARMUP_DECODE_PROMPT);
      warm(() -> phases.decode("warmup-batch1", 1, List.of(), warmPrompt, 8));
      warm(() -> phases.decode("warmup-mixed", Math.min(WARMUP_BATCH, s.batchSize()), adapters, warmPrompt, 4));
      warm(() -> phases.prefill("warmup-prefill", Math.min(WARMUP_PROMPT, s.prefillTokens())));
      warm(() -> phases.decode("warmup-constrained", Math.min(WARMUP_BATCH, s.batchSize()), List.of(), warmPrompt, 4,
          BENCH_CONSTRAINT, step -> {}));
      log.info("warm-up done in {} s", fmt((System.nanoTime() - t0) / 1e9));

      String b = Integer.toString(s.batchSize());
      PhaseResult batch1 = logged(phases.decode("batch1", 1, List.of(), s.promptTokens(), s.decodeTokens()));
      PhaseResult batch1Lora = logged(phases.decode("batch1-lora", 1, adapters.subList(0, Math.min(1, adapters.size())),
          s.promptTokens(), s.decodeTokens()));
      PhaseResult base = logged(phases.decode("batch" + b, s.batchSize(), List.of(), s.promptTokens(),
          s.decodeTokens()));
      // Right after the base batch, so that the two are measured under the same conditions; then more pairs,
      // since one pair on a busy machine can be off by more than the overhead itself.
      constrained = logged(phases.decode("constrained" + b, s.batchSize(), List.of(), s.promptTokens(),
          s.decodeTokens(), BENCH_CONSTRAINT, step -> {}));
      overheadRatios.add(constrained.medianDecodeStepMillis() / base.medianDecodeStepMillis());
      cpuOverheadRatios.add(constrained.medianDecodeStepCpuMillis() / base.medianDecodeStepCpuMillis());
      for (int k = 2; k <= OVERHEAD_PAIRS; k++) {
        PhaseResult pb = phases.decode("overhead-base-" + k, s.batchSize(), List.of(), s.promptTokens(),
            s.decodeTokens());
        PhaseResult pc = phases.decode("overhead-constrained-" + k, s.batchSize(), List.of(), s.promptTokens(),
            s.decodeTokens(), BENCH_CONSTRAINT, step -> {});
        overheadRatios.add(pc.medianDecodeStepMillis() / pb.medianDecodeStepMillis());
        cpuOverheadRatios.add(pc.medianDecodeStepCpuMillis() / pb.medianDecodeStepCpuMillis());
      }
      log.info("constrained / base median decode step CPU time, per pair: {}", cpuOverheadRatios.stream()
          .map(BenchRun::fmt).toList());
      log.info("constrained / base median decode step, per pair: {}", overheadRatios.stream().map(BenchRun::fmt)
          .toList());
      PhaseResult mixed = logged(phases.decode("mixed" + b, s.batchSize(), adapters, s.promptTokens(),
          s.decodeTokens()));

      PhaseResult prefill = phases.prefill("prefill", s.prefillTokens());
      log.info("prefill: {} tokens, time to first token {} s", s.prefillTokens(),
          fmt(prefill.timeToFirstTokenSeconds()));
      PhaseResult prefill70 = phases.prefill("prefill70", BenchExtras.SHORT_PREFILL_TOKENS);
      log.info("prefill: {} tokens, time to first token {} s", BenchExtras.SHORT_PREFILL_TOKENS,
          fmt(prefill70.timeToFirstTokenSeconds()));
      backendName = le.backend().name();
      nativeGemmInUse = le.backend() instanceof CpuBackend cpu && cpu.usesNativeGemm(GEMM_ROWS);
      quantize = le.backend().quantization();
      bytesPerStep = le.model().weights().bytesReadPerStep(quantize);
      int8BytesPerStep = le.model().weights().bytesReadPerStep(Quantization.INT8);
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
        checkpoint.shape().hiddenSize(), threads, GEMM_REPS, nativeGemmInUse);
    log.info("GEMM {}x{}x{}: {} GFLOP/s (Vector API {}, oneDNN {}, oneDNN / Vector API {}), FMA peak {} GFLOP/s ({})",
        GEMM_ROWS, checkpoint.shape().intermediateSize(), checkpoint.shape().hiddenSize(), fmt(gemm.gemmGflops()),
        fmt(gemm.vectorGflops()), fmt(gemm.nativeGflops()), fmt(gemm.nativeOverVector()), fmt(gemm.peakGflops()),
        fmt(gemm.peakFraction()));
    return new BenchReport(checkpoint.shape(), checkpoint.modelDir(), host, backendName, threads, adapterCount, s,
        bandwidth, quantize, bytesPerStep, int8BytesPerStep, engine[0], engine[1], engine[2], constrained, List.copyOf(overheadRatios),
        List.copyOf(cpuOverheadRatios), cost, engine[3], Instant.now(), loadBefore, HostInfo.loadAverage(), new BenchExtras(before, after, engine[4], engine[5], gemm, memory));
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

  private static void checkLimits(LoadedModel le, BenchSettings s) {
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
