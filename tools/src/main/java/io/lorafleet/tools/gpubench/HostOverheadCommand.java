package io.lorafleet.tools.gpubench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.cuda.CudaDiagnostics;
import io.lorafleet.runtime.cli.CliInputException;
import io.lorafleet.runtime.engine.Engine;
import io.lorafleet.runtime.engine.EngineConfig;
import io.lorafleet.runtime.engine.GenerateRequest;
import io.lorafleet.runtime.engine.GenerationListener;
import io.lorafleet.runtime.engine.GenerationResult;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.engine.TokenOutput;
import io.lorafleet.runtime.errors.LoraFleetException;
import io.lorafleet.runtime.format.DType;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.tokenizer.HfTokenizer;
import io.lorafleet.tools.report.HostInfo;
import io.lorafleet.tools.report.TextTable;
import io.lorafleet.tools.stats.LatencyHistogram;
import io.lorafleet.tools.synthetic.CheckpointShape;
import io.lorafleet.tools.synthetic.SyntheticCheckpoint;
import io.lorafleet.tools.synthetic.SyntheticTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gpu-bench host-overhead}: the host's share of a steady-state decode step of the CUDA backend,
 * measured without a GPU. The whole engine runs (scheduler, model runner, the CUDA backend's planning,
 * input packing and graph launches, the engine's handling of the chosen tokens, detokenization) on a
 * recording device that does no device work and counts the driver calls the real device would get
 * ({@link CudaDiagnostics#onRecordingDevice}, standing for an H200: 141 GiB, 132 SMs). For each batch size,
 * base model only and one distinct rank-16 q/k/v/o adapter per sequence: the wall time of each engine step
 * once every sequence decodes, and the driver calls, kernel launches and graph launches per step (a first,
 * unreported run warms the JIT). On a GPU the device's own time comes on top; the step is GPU-bound when
 * this host time stays under it. Each case's backend and engine are fresh, so their graphs are captured
 * during the warm-up steps.
 */
@Command(name = "host-overhead", mixinStandardHelpOptions = true,
    description = "Host time and driver calls per steady-state decode step of the CUDA backend, on a recording "
        + "device (no GPU needed); a table, and JSON with --json.")
final class HostOverheadCommand implements Callable<Integer> {
  /** Targets: driver calls and host time per step at batch 1, host time at batch 64. */
  static final int TARGET_CALLS_BATCH1 = 10;
  static final double TARGET_US_BATCH1 = 100;
  static final double TARGET_US_BATCH64 = 1000;

  @Option(names = "--shape", defaultValue = "tinyllama-1.1b", description = "tinyllama-1.1b or tiny (default: ${DEFAULT-VALUE})")
  String shape;

  @Option(names = "--cache-dir", description = "where the synthetic checkpoint is (or is written) (default: the temp dir)")
  Path cacheDir;

  @Option(names = "--batches", defaultValue = "1,64", split = ",", description = "batch sizes (default: ${DEFAULT-VALUE})")
  int[] batches;

  @Option(names = "--steps", defaultValue = "300", description = "timed decode steps per case (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--warmup", defaultValue = "200", description = "decode steps before timing (default: ${DEFAULT-VALUE})")
  int warmup;

  @Option(names = "--prompt-tokens", defaultValue = "70", description = "tokens per prompt (default: ${DEFAULT-VALUE})")
  int promptTokens;

  @Option(names = "--json", description = "write the figures here")
  Path json;

  /** One case's figures. */
  record Case(int batch, boolean adapters, int steps, double hostUsP50, double hostUsP90, double hostUsMean,
      double driverCallsPerStep, double kernelLaunchesPerStep, double graphLaunchesPerStep, int graphs) {}

  @Override
  public Integer call() throws IOException {
    CheckpointShape s;
    try {
      s = CheckpointShape.byName(shape);
    } catch (IllegalArgumentException e) {
      throw new CliInputException("--shape: " + e.getMessage());
    }
    if (steps < 1 || warmup < 0 || promptTokens < 1 || batches.length == 0 || Arrays.stream(batches).anyMatch(b -> b < 1)) {
      throw new CliInputException("--steps, --prompt-tokens and --batches must be positive, --warmup >= 0");
    }
    Path root = cacheDir != null ? cacheDir : SyntheticCheckpoint.defaultCacheRoot();
    Files.createDirectories(root);
    SyntheticCheckpoint ckpt = SyntheticCheckpoint.ensure(s, 1, DType.BF16, root);
    double loadStart = HostInfo.loadAverage();
    List<Case> cases = new ArrayList<>();
    try (LlamaModel model = LlamaModel.load(ckpt.modelDir()); HfTokenizer tokenizer = HfTokenizer.load(ckpt.modelDir())) {
      // A first, unreported run of the first case lets the JIT compile the step's code, so that the first
      // reported case is not measured half-interpreted.
      measure(model, tokenizer, ckpt.adapterDirs().get(0), batches[0], true);
      for (int batch : batches) {
        for (boolean adapters : new boolean[] {false, true}) {
          Case c = measure(model, tokenizer, ckpt.adapterDirs().get(0), batch, adapters);
          cases.add(c);
          System.err.printf(Locale.ROOT, "batch %d %s: %.1f us/step (p50), %.1f driver calls/step%n", batch,
              adapters ? "distinct adapters" : "base only", c.hostUsP50(), c.driverCallsPerStep());
        }
      }
    }
    double loadEnd = HostInfo.loadAverage();
    System.out.println(table(cases, loadStart, loadEnd));
    if (json != null) {
      writeJson(cases, s, loadStart, loadEnd);
      System.out.println("json: " + json.toAbsolutePath());
    }
    return 0;
  }

  private Case measure(LlamaModel model, HfTokenizer tokenizer, Path adapterDir, int batch, boolean withAdapters) {
    CudaDiagnostics.RecordingDevice device = CudaDiagnostics.onRecordingDevice(model, "recording H200 (no device work)",
        141L << 30, 132);
    int maxNew = warmup + steps + 8;
    int blocksPerSeq = (promptTokens + maxNew + 15) / 16 + 1;
    EngineConfig config = EngineConfig.DEFAULTS.toBuilder().maxNumSeqs(Math.max(64, batch)).maxBatchTokens(8192)
        .numKvBlocks(batch * blocksPerSeq + 16).maxModelLen(promptTokens + maxNew + 16)
        .maxResidentAdapters(Math.max(1, batch)).build();
    try (Engine engine = new Engine(device.backend(), tokenizer, model.eosTokenIds(), config)) {
      SplittableRandom rnd = new SplittableRandom(batch * 31L + (withAdapters ? 1 : 0));
      SamplingParams p = SamplingParams.builder().maxNewTokens(maxNew).ignoreEos(true).build();
      Quiet listener = new Quiet();
      for (int i = 0; i < batch; i++) {
        int[] prompt = new int[promptTokens];
        prompt[0] = SyntheticTokenizer.BOS_ID;
        for (int t = 1; t < promptTokens; t++) {
          prompt[t] = 3 + rnd.nextInt(model.config().vocabSize() - 3);
        }
        LoraAdapter a = withAdapters ? LoraAdapter.load("a" + i, adapterDir, model.config(), 0) : null;
        engine.submit(new GenerateRequest("r" + i, prompt, a, p), listener);
      }
      // Until every sequence decodes (prefill chunks first), then the warm-up decode steps.
      while (engine.stats().running() < batch || engine.stats().generatedTokens() < (long) batch * (warmup + 1)) {
        engine.step();
        listener.check();
      }
      long[] nanos = new long[steps];
      long calls0 = device.driverCalls();
      long kernels0 = device.kernelLaunches();
      long graphs0 = device.graphLaunches();
      for (int i = 0; i < steps; i++) {
        long t0 = System.nanoTime();
        engine.step();
        nanos[i] = System.nanoTime() - t0;
      }
      listener.check();
      double perStep = 1.0 / steps;
      LatencyHistogram h = new LatencyHistogram(); // whole microseconds
      for (long n : nanos) {
        h.recordNanos(n);
      }
      return new Case(batch, withAdapters, steps, h.p50Millis() * 1e3, h.p90Millis() * 1e3, h.meanMillis() * 1e3,
          (device.driverCalls() - calls0) * perStep, (device.kernelLaunches() - kernels0) * perStep,
          (device.graphLaunches() - graphs0) * perStep, device.capturedGraphs());
    }
  }

  private static String table(List<Case> cases, double loadStart, double loadEnd) {
    TextTable t = new TextTable("batch", "adapters", "us p50", "us p90", "us mean", "driver calls", "launches",
        "graphs");
    for (int col : new int[] {0, 2, 3, 4, 5, 6, 7}) {
      t.alignRight(col);
    }
    for (Case c : cases) {
      t.add(String.valueOf(c.batch()), c.adapters() ? "one per sequence" : "none", fmt(c.hostUsP50()),
          fmt(c.hostUsP90()), fmt(c.hostUsMean()), fmt(c.driverCallsPerStep()), fmt(c.kernelLaunchesPerStep()),
          fmt(c.graphLaunchesPerStep()));
    }
    return t.render() + String.format(Locale.ROOT, "targets: batch 1 <= %d driver calls and <= %.0f us, batch 64 <= %.0f us "
        + "(host time of a steady-state decode step; load average %.1f -> %.1f on %d cores)", TARGET_CALLS_BATCH1,
        TARGET_US_BATCH1, TARGET_US_BATCH64, loadStart, loadEnd, Runtime.getRuntime().availableProcessors());
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private void writeJson(List<Case> cases, CheckpointShape s, double loadStart, double loadEnd) throws IOException {
    ObjectNode root = SystemResult.JSON.createObjectNode();
    root.put("what", "host time and driver calls per steady-state decode step of the CUDA backend (engine step "
        + "wall time on a recording device that does no device work)");
    root.put("device", "recording H200 (141 GiB, 132 SMs; no device work)");
    root.put("shape", s.name());
    root.put("prompt_tokens", promptTokens);
    root.put("warmup_steps", warmup);
    HostInfo host = HostInfo.detect();
    ObjectNode h = root.putObject("host");
    h.put("cpu", host.cpuModel());
    h.put("cores", host.cores());
    h.put("java", host.javaVersion());
    h.put("load_average_start", loadStart);
    h.put("load_average_end", loadEnd);
    ObjectNode t = root.putObject("targets");
    t.put("batch1_driver_calls_max", TARGET_CALLS_BATCH1);
    t.put("batch1_host_us_max", TARGET_US_BATCH1);
    t.put("batch64_host_us_max", TARGET_US_BATCH64);
    ArrayNode arr = root.putArray("cases");
    for (Case c : cases) {
      ObjectNode o = arr.addObject();
      o.put("batch", c.batch());
      o.put("adapters", c.adapters() ? "one per sequence" : "none");
      o.put("steps", c.steps());
      o.put("host_us_p50", round(c.hostUsP50()));
      o.put("host_us_p90", round(c.hostUsP90()));
      o.put("host_us_mean", round(c.hostUsMean()));
      o.put("driver_calls_per_step", round(c.driverCallsPerStep()));
      o.put("kernel_launches_per_step", round(c.kernelLaunchesPerStep()));
      o.put("graph_launches_per_step", round(c.graphLaunchesPerStep()));
      o.put("graphs_captured", c.graphs());
    }
    Path parent = json.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    SystemResult.JSON.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), root);
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  /** Drops the tokens (only the engine's own work on them is measured); keeps the first error. */
  private static final class Quiet implements GenerationListener {
    private LoraFleetException error;

    @Override
    public void onToken(String requestId, TokenOutput token) {}

    @Override
    public void onFinish(GenerationResult result) {}

    @Override
    public void onError(String requestId, LoraFleetException e) {
      if (error == null) {
        error = e;
      }
    }

    void check() {
      if (error != null) {
        throw new IllegalStateException("a request failed: " + error.getMessage(), error);
      }
    }
  }
}
