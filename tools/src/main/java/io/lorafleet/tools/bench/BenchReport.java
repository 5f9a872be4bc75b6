package io.lorafleet.tools.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.runtime.model.Quantization;
import io.lorafleet.tools.report.HostInfo;
import io.lorafleet.tools.report.TextTable;
import io.lorafleet.tools.synthetic.CheckpointShape;
import io.lorafleet.tools.synthetic.SyntheticCheckpoint;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * The figures of one benchmark run and what they are measured against: derived metrics, the stdout
 * table and the JSON document that scripts read.
 *
 * @param shape              the synthetic checkpoint's shape
 * @param modelDir           where it is
 * @param host               the machine
 * @param backend            the backend's own name (threads, vector width)
 * @param threads            worker threads (the bandwidth probe used as many)
 * @param adapters           adapters loaded
 * @param settings           what was asked for
 * @param bandwidth          the memory-bandwidth probe
 * @param quantize           how the backend stored the projections ({@code --quantize})
 * @param weightBytesPerStep weight bytes one decode step reads (int8 codes + scales when quantized)
 * @param int8WeightBytesPerStep weight bytes one decode step reads with {@code --quantize int8}, whatever was run
 * @param batch1             one request
 * @param base               the batch on the base model
 * @param mixed              the same batch, one adapter per request
 * @param constrained        the base batch with every other request constrained ({@link BenchRun#BENCH_CONSTRAINT})
 * @param overheadRatios     median decode step of a half-constrained batch over that of a base batch measured just
 *                           before it, per pair ({@link BenchRun#OVERHEAD_PAIRS}; the first pair is base/constrained)
 * @param cpuOverheadRatios  the same with the process CPU time of the steps instead of their wall time
 * @param constraintCost     that constraint's one-time costs (compilation, first mask)
 * @param prefill            one long prompt
 * @param timestamp          when the run ended
 * @param loadBefore         the system's 1-minute load average when the run started (NaN where unknown)
 * @param loadAfter          the same when it ended
 * @param extras             the bandwidth probes, batch-1 decode with an adapter, the 70-token prefill and
 *                           the GEMM microbenchmark
 */
public record BenchReport(
    CheckpointShape shape, Path modelDir, HostInfo host, String backend, int threads, int adapters,
    BenchSettings settings, MemoryBandwidth.Result bandwidth, Quantization quantize, long weightBytesPerStep,
    long int8WeightBytesPerStep, PhaseResult batch1,
    PhaseResult base, PhaseResult mixed, PhaseResult constrained, List<Double> overheadRatios,
    List<Double> cpuOverheadRatios, ConstraintCost constraintCost, PhaseResult prefill,
    Instant timestamp, double loadBefore,
    double loadAfter, BenchExtras extras) {

  /** Target: batch-1 decode reads weights at half the measured bandwidth or better. */
  public static final double BATCH1_BANDWIDTH_TARGET = 0.5;
  /** Target: a batch of distinct adapters keeps 80% of the base-only throughput. */
  public static final double MIXED_OVER_BASE_TARGET = 0.8;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The best bandwidth reading of the run (before and after the timed phases, every buffer size). */
  public double memoryBandwidthGbPerSecond() {
    return Math.max(bandwidth.bestGbPerSecond(), extras.bestBandwidthGbPerSecond());
  }

  /** Weight bytes per second at batch 1, in GB/s: bytes per step times steps per second. */
  public double batch1WeightGbPerSecond() {
    return weightBytesPerStep * batch1.decodeStepsPerSecond() / 1e9;
  }

  public double batch1BandwidthFraction() {
    return batch1WeightGbPerSecond() / memoryBandwidthGbPerSecond();
  }

  public double mixedOverBase() {
    return mixed.decodeTokensPerSecond() / base.decodeTokensPerSecond();
  }

  /**
   * How much longer a decode step takes with half the batch constrained than with none: the median over the
   * measured pairs of (median step, half constrained) / (median step, none), minus 1 (0.05 = 5% longer).
   */
  public double constrainedStepOverhead() {
    return median(overheadRatios) - 1;
  }

  /**
   * The same in process CPU time per step, which other processes on a busy machine do not inflate: the
   * headline overhead figure.
   */
  public double constrainedStepCpuOverhead() {
    return median(cpuOverheadRatios) - 1;
  }

  private static double median(List<Double> values) {
    double[] r = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return r.length % 2 == 1 ? r[r.length / 2] : (r[r.length / 2 - 1] + r[r.length / 2]) / 2;
  }

  /**
   * The overhead measured inside the steps, less exposed to other processes than whole steps: how much longer
   * the part after the forward pass (sampling with masks, emitting) takes with half the batch constrained,
   * relative to a whole base step (median steps).
   */
  public double constrainedSamplingOverhead() {
    return (constrained.medianDecodeSampleMillis() - base.medianDecodeSampleMillis()) / base.medianDecodeStepMillis();
  }

  /** The same ratio over the whole decode windows, slow steps included. */
  public double meanMixedOverBase() {
    return mixed.meanDecodeTokensPerSecond() / base.meanDecodeTokensPerSecond();
  }

  public boolean batch1TargetMet() {
    return batch1BandwidthFraction() >= BATCH1_BANDWIDTH_TARGET;
  }

  public boolean mixedTargetMet() {
    return mixedOverBase() >= MIXED_OVER_BASE_TARGET;
  }

  /** The report for people: metric, value, unit, note. */
  public String table() {
    int b = settings.batchSize();
    TextTable t = new TextTable("metric", "value", "unit", "note").alignRight(1);
    t.add("memory_bandwidth_gb_s", num(memoryBandwidthGbPerSecond()), "GB/s",
        String.format(Locale.ROOT, "sequential read, %d threads, best of %d readings (up to %d MiB, before and "
            + "after the phases)", bandwidth.threads(), extras.allBandwidthGbPerSecond().size(),
            bandwidth.bufferBytes() >> 20));
    t.add("memory_bandwidth_median_gb_s", num(extras.medianBandwidthGbPerSecond()), "GB/s",
        String.format(Locale.ROOT, "median; best before %s, after %s", num(extras.bandwidthBefore().bestGbPerSecond()),
            num(extras.bandwidthAfter().bestGbPerSecond())));
    t.add("quantize", quantize.wireName(), "", "--quantize: how the projections are stored");
    t.add("weight_bytes_per_step", num(weightBytesPerStep / 1e9), "GB", "weights read by one decode step"
        + (quantize == Quantization.INT8 ? " (int8 codes + scales)" : ""));
    t.add("decode_tokens_per_s_batch1", num(batch1.decodeTokensPerSecond()), "tokens/s",
        String.format(Locale.ROOT, "1 request, median of %d decode steps: %s ms (mean %s tokens/s)",
            batch1.decodeTokens(), num(batch1.medianDecodeStepMillis()), num(batch1.meanDecodeTokensPerSecond())));
    t.add("decode_tokens_per_s_batch1_lora", num(extras.batch1Lora().decodeTokensPerSecond()), "tokens/s",
        String.format(Locale.ROOT, "1 request with a rank-%d adapter, median step %s ms", SyntheticCheckpoint.ADAPTER_RANK,
            num(extras.batch1Lora().medianDecodeStepMillis())));
    t.add("weight_read_gb_s_batch1", num(batch1WeightGbPerSecond()), "GB/s", "weight bytes per step x batch-1 steps/s");
    t.add("batch1_bandwidth_fraction", num(batch1BandwidthFraction()), "ratio",
        target(BATCH1_BANDWIDTH_TARGET, batch1TargetMet()));
    t.add("decode_tokens_per_s_batch" + b, num(base.decodeTokensPerSecond()), "tokens/s",
        String.format(Locale.ROOT, "%d requests, base model, median step %s ms (mean %s tokens/s)", b,
            num(base.medianDecodeStepMillis()), num(base.meanDecodeTokensPerSecond())));
    t.add("decode_tokens_per_s_mixed" + b, num(mixed.decodeTokensPerSecond()), "tokens/s",
        String.format(Locale.ROOT, "%d requests, %d distinct rank-%d adapters, median step %s ms (mean %s tokens/s)",
            b, mixed.distinctAdapters(), SyntheticCheckpoint.ADAPTER_RANK, num(mixed.medianDecodeStepMillis()),
            num(mixed.meanDecodeTokensPerSecond())));
    t.add("mixed" + b + "_over_base", num(mixedOverBase()), "ratio", target(MIXED_OVER_BASE_TARGET, mixedTargetMet())
        + " (ratio of means " + num(meanMixedOverBase()) + ")");
    t.add("decode_tokens_per_s_constrained" + b, num(constrained.decodeTokensPerSecond()), "tokens/s",
        String.format(Locale.ROOT, "%d requests, base model, every other one constrained, median step %s ms", b,
            num(constrained.medianDecodeStepMillis())));
    t.add("constrained" + b + "_step_cpu_overhead", num(100 * constrainedStepCpuOverhead()), "%",
        String.format(Locale.ROOT, "process CPU per decode step, half constrained over none; median of %d pairs %s",
            cpuOverheadRatios.size(), cpuOverheadRatios.stream().map(x -> num(100 * (x - 1)) + "%").toList()));
    t.add("constrained" + b + "_step_overhead", num(100 * constrainedStepOverhead()), "%",
        String.format(Locale.ROOT, "median decode step, half constrained over none; median of %d pairs %s",
            overheadRatios.size(), overheadRatios.stream().map(x -> num(100 * (x - 1)) + "%").toList()));
    t.add("constrained" + b + "_sampling_overhead", num(100 * constrainedSamplingOverhead()), "%",
        String.format(Locale.ROOT, "sampling part of a step: %s ms half constrained, %s ms none, over a %s ms step",
            num(constrained.medianDecodeSampleMillis()), num(base.medianDecodeSampleMillis()),
            num(base.medianDecodeStepMillis())));
    t.add("constraint_compile_ms", num(constraintCost.compileMillis()), "ms",
        String.format(Locale.ROOT, "regex to a %d-state DFA, cold", constraintCost.dfaStates()));
    t.add("constraint_first_mask_ms", num(constraintCost.firstMaskMillis()), "ms",
        String.format(Locale.ROOT, "vocabulary trie + start-state mask over %d tokens (%d allowed), cold",
            constraintCost.vocabSize(), constraintCost.allowedAtStart()));
    t.add("prefill_tokens_per_s", num(prefill.prefillTokensPerSecond()), "tokens/s",
        String.format(Locale.ROOT, "%d-token prompt, time to first token %s s", prefill.promptTokens(),
            num(prefill.timeToFirstTokenSeconds())));
    t.add("prefill_tokens_per_s_70", num(extras.prefill70().prefillTokensPerSecond()), "tokens/s",
        String.format(Locale.ROOT, "%d-token prompt, time to first token %s s", extras.prefill70().promptTokens(),
            num(extras.prefill70().timeToFirstTokenSeconds())));
    GemmBenchmark.Result g = extras.gemm();
    t.add("gemm_gflops", num(g.gemmGflops()), "GFLOP/s", String.format(Locale.ROOT,
        "bf16 GEMM %d x %d x %d the backend runs (%s), %d threads, best of %d", g.rows(), g.outFeatures(),
        g.inFeatures(), g.nativeInUse() ? "oneDNN" : "Vector API", g.threads(), g.gemmGflopsReps().size()));
    t.add("gemm_gflops_vector", num(g.vectorGflops()), "GFLOP/s", "Vector-API panel kernels, same shape");
    if (!g.nativeGflopsReps().isEmpty()) {
      t.add("gemm_gflops_native", num(g.nativeGflops()), "GFLOP/s", "oneDNN bf16 matmul (" + g.nativeImpl()
          + "), same shape, each repetition right after a Vector-API one");
      t.add("gemm_native_over_vector", num(g.nativeOverVector()), "ratio", "median over the back-to-back pairs");
    }
    t.add("fma_peak_gflops", num(g.peakGflops()), "GFLOP/s", "register-only float32 FMA loop, all threads");
    t.add("gemm_peak_fraction", num(g.peakFraction()), "ratio", "GEMM over the measured FMA peak");
    MemoryFootprint m = extras.memory();
    t.add("memory_over_file_plus_kv", num(m.overFilePlusKv()), "ratio", String.format(Locale.ROOT,
        "(heap %d MiB + native %d MiB - adapters %d MiB) / (model file %d MiB + KV cache %d MiB)",
        m.heapUsedBytes() >> 20, m.nativeBytes() >> 20, m.adapterBytes() >> 20, m.modelFileBytes() >> 20,
        m.kvCacheBytes() >> 20));
    t.add("system_load_average", num(Math.max(loadBefore, loadAfter)), "",
        String.format(Locale.ROOT, "1-minute load, %s at start, %s at end; near %d (the cores) or above, other "
            + "processes skew the figures", num(loadBefore), num(loadAfter), host.cores()));
    return t.render();
  }

  /** A one-line heading for the table. */
  public String title() {
    return String.format(Locale.ROOT, "lorafleet bench: %s, %s, %s, %s (%d cores), Java %s", shape.name(), backend,
        modelDir, host.cpuModel(), host.cores(), host.javaVersion());
  }

  private static String target(double target, boolean met) {
    return "target >= " + target + ": " + (met ? "met" : "NOT met");
  }

  private static String num(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return String.valueOf(v);
    }
    double a = Math.abs(v);
    String f = a >= 100 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f";
    return String.format(Locale.ROOT, f, v);
  }

  /**
   * The JSON document: the six headline keys (names fixed, scripts read them), the other derived figures,
   * targets, and the context (shape, machine, settings, every step's time).
   */
  public ObjectNode toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("decode_tokens_per_s_batch1", batch1.decodeTokensPerSecond());
    root.put("decode_tokens_per_s_batch32", base.decodeTokensPerSecond());
    root.put("prefill_tokens_per_s", prefill.prefillTokensPerSecond());
    root.put("mixed32_over_base", mixedOverBase());
    root.put("memory_bandwidth_gb_s", memoryBandwidthGbPerSecond());
    root.put("batch1_bandwidth_fraction", batch1BandwidthFraction());
    root.put("decode_tokens_per_s_mixed32", mixed.decodeTokensPerSecond());
    root.put("mean_decode_tokens_per_s_batch1", batch1.meanDecodeTokensPerSecond());
    root.put("mean_decode_tokens_per_s_batch32", base.meanDecodeTokensPerSecond());
    root.put("mean_decode_tokens_per_s_mixed32", mixed.meanDecodeTokensPerSecond());
    root.put("mean_mixed32_over_base", meanMixedOverBase());
    root.put("weight_bytes_per_step", weightBytesPerStep);
    root.put("quantize", quantize.wireName());
    root.put("int8_weight_bytes_per_step", int8WeightBytesPerStep);
    root.put("weight_read_gb_s_batch1", batch1WeightGbPerSecond());
    root.put("time_to_first_token_s", prefill.timeToFirstTokenSeconds());
    root.put("prefill_tokens_per_s_70", extras.prefill70().prefillTokensPerSecond());
    putFinite(root, "decode_tokens_per_s_batch1_lora", extras.batch1Lora().decodeTokensPerSecond());
    root.put("gemm_gflops", extras.gemm().gemmGflops());
    root.put("gemm_gflops_vector", extras.gemm().vectorGflops());
    putFinite(root, "gemm_gflops_native", extras.gemm().nativeGflops());
    putFinite(root, "gemm_native_over_vector", extras.gemm().nativeOverVector());
    root.put("gemm_path", extras.gemm().nativeInUse() ? "onednn" : "vector-api");
    root.put("gemm_peak_fraction", extras.gemm().peakFraction());
    root.put("fma_peak_gflops", extras.gemm().peakGflops());
    root.put("memory_bandwidth_median_gb_s", extras.medianBandwidthGbPerSecond());
    root.put("memory_over_file_plus_kv", extras.memory().overFilePlusKv());
    root.put("memory_bandwidth_before_gb_s", extras.bandwidthBefore().bestGbPerSecond());
    root.put("memory_bandwidth_after_gb_s", extras.bandwidthAfter().bestGbPerSecond());
    root.put("decode_tokens_per_s_constrained32", constrained.decodeTokensPerSecond());
    root.put("constrained32_step_overhead", constrainedStepOverhead());
    root.put("constrained32_sampling_overhead", constrainedSamplingOverhead());
    root.put("constrained32_step_cpu_overhead", constrainedStepCpuOverhead());
    ArrayNode cpuRatios = root.putArray("constrained32_over_base_step_cpu_ratios");
    cpuOverheadRatios.forEach(cpuRatios::add);
    ArrayNode ratios = root.putArray("constrained32_over_base_step_ratios");
    overheadRatios.forEach(ratios::add);
    ObjectNode cc = root.putObject("constraint");
    cc.put("regex", BenchRun.BENCH_CONSTRAINT.source());
    cc.put("compile_ms", constraintCost.compileMillis());
    cc.put("dfa_states", constraintCost.dfaStates());
    cc.put("first_mask_ms", constraintCost.firstMaskMillis());
    cc.put("vocab_size", constraintCost.vocabSize());
    cc.put("allowed_at_start", constraintCost.allowedAtStart());
    ObjectNode targets = root.putObject("targets");
    targets.putObject("batch1_bandwidth_fraction").put("min", BATCH1_BANDWIDTH_TARGET).put("met", batch1TargetMet());
    targets.putObject("mixed32_over_base").put("min", MIXED_OVER_BASE_TARGET).put("met", mixedTargetMet());

    root.put("timestamp", timestamp.toString());
    if (Double.isFinite(loadBefore) && Double.isFinite(loadAfter)) {
      root.put("load_average_start", loadBefore);
      root.put("load_average_end", loadAfter);
    }
    root.put("shape", shape.name());
    ObjectNode dims = root.putObject("shape_dims");
    dims.put("num_hidden_layers", shape.numLayers());
    dims.put("hidden_size", shape.hiddenSize());
    dims.put("intermediate_size", shape.intermediateSize());
    dims.put("num_attention_heads", shape.numHeads());
    dims.put("num_key_value_heads", shape.numKvHeads());
    dims.put("head_dim", shape.headDim());
    dims.put("vocab_size", shape.vocabSize());
    root.put("model_dir", modelDir.toString());
    root.put("backend", backend);
    root.put("threads", threads);
    root.put("cpu_model", host.cpuModel());
    root.put("cores", host.cores());
    root.put("java_version", host.javaVersion());
    root.put("java_vm", host.javaVm());
    root.put("os", host.os());
    root.put("adapters", adapters);
    root.put("adapter_rank", SyntheticCheckpoint.ADAPTER_RANK);
    root.put("batch_size", settings.batchSize());
    root.put("decode_tokens", settings.decodeTokens());
    root.put("decode_prompt_tokens", settings.promptTokens());
    root.put("prefill_prompt_tokens", settings.prefillTokens());
    ObjectNode engine = root.putObject("engine");
    engine.put("max_num_seqs", settings.engineConfig().maxNumSeqs());
    engine.put("max_batch_tokens", settings.engineConfig().maxBatchTokens());
    engine.put("kv_cache_bytes", settings.engineConfig().kvCacheBytes());
    engine.put("block_size", settings.engineConfig().blockSize());
    ObjectNode bw = root.putObject("bandwidth");
    bw.put("buffer_bytes", bandwidth.bufferBytes());
    bw.put("threads", bandwidth.threads());
    ArrayNode reps = bw.putArray("reps_gb_s");
    bandwidth.gbPerSecondReps().forEach(reps::add);
    probeJson(bw.putArray("before"), extras.bandwidthBefore());
    probeJson(bw.putArray("after"), extras.bandwidthAfter());
    ObjectNode mem = root.putObject("memory");
    mem.put("model_file_bytes", extras.memory().modelFileBytes());
    mem.put("kv_cache_bytes", extras.memory().kvCacheBytes());
    mem.put("native_bytes", extras.memory().nativeBytes());
    mem.put("heap_used_bytes", extras.memory().heapUsedBytes());
    mem.put("adapter_bytes", extras.memory().adapterBytes());
    ObjectNode gemm = root.putObject("gemm");
    gemm.put("rows", extras.gemm().rows());
    gemm.put("out_features", extras.gemm().outFeatures());
    gemm.put("in_features", extras.gemm().inFeatures());
    gemm.put("threads", extras.gemm().threads());
    ArrayNode gr = gemm.putArray("gflops_reps");
    extras.gemm().gemmGflopsReps().forEach(gr::add);
    ArrayNode vr = gemm.putArray("vector_gflops_reps");
    extras.gemm().vectorGflopsReps().forEach(vr::add);
    ArrayNode nr = gemm.putArray("native_gflops_reps");
    extras.gemm().nativeGflopsReps().forEach(nr::add);
    gemm.put("native_impl", extras.gemm().nativeImpl());
    ArrayNode pr = gemm.putArray("peak_gflops_reps");
    extras.gemm().peakGflopsReps().forEach(pr::add);
    ObjectNode phases = root.putObject("phases");
    for (PhaseResult p : new PhaseResult[] {batch1, base, mixed, constrained, prefill, extras.batch1Lora(),
        extras.prefill70()}) {
      phases.set(p.name(), phaseJson(p));
    }
    return root;
  }

  private static void probeJson(ArrayNode runs, BandwidthProbe.Result probe) {
    for (MemoryBandwidth.Result r : probe.runs()) {
      ObjectNode run = runs.addObject();
      run.put("buffer_bytes", r.bufferBytes());
      ArrayNode reps = run.putArray("reps_gb_s");
      r.gbPerSecondReps().forEach(reps::add);
    }
  }

  private static void putFinite(ObjectNode o, String key, double v) {
    if (Double.isFinite(v)) {
      o.put(key, v);
    } else {
      o.putNull(key);
    }
  }

  private static ObjectNode phaseJson(PhaseResult p) {
    ObjectNode o = JSON.createObjectNode();
    o.put("requests", p.requests());
    o.put("distinct_adapters", p.distinctAdapters());
    o.put("prompt_tokens", p.promptTokens());
    o.put("decode_tokens", p.decodeTokens());
    o.put("decode_seconds", p.decodeSeconds());
    putFinite(o, "decode_tokens_per_s", p.decodeTokensPerSecond());
    putFinite(o, "mean_decode_tokens_per_s", p.meanDecodeTokensPerSecond());
    o.put("time_to_first_token_s", p.timeToFirstTokenSeconds());
    putFinite(o, "median_decode_step_ms", p.medianDecodeStepMillis());
    putFinite(o, "median_decode_sample_ms", p.medianDecodeSampleMillis());
    putFinite(o, "median_decode_step_cpu_ms", p.medianDecodeStepCpuMillis());
    ArrayNode ms = o.putArray("step_ms");
    ArrayNode engineMs = o.putArray("engine_step_ms");
    ArrayNode rows = o.putArray("step_rows");
    ArrayNode prompt = o.putArray("step_prompt_tokens");
    for (PhaseResult.Step s : p.steps()) {
      ms.add(Math.round(s.millis() * 1000) / 1000.0);
      engineMs.add(Math.round(s.engineMillis() * 1000) / 1000.0);
      rows.add(s.rows());
      prompt.add(s.promptTokens());
    }
    return o;
  }
}
