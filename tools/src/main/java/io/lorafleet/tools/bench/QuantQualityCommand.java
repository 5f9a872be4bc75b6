package io.lorafleet.tools.bench;

import io.lorafleet.runtime.backend.BackendAgreement;
import io.lorafleet.runtime.backend.cpu.CpuBackend;
import io.lorafleet.runtime.cli.CliInputException;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.model.Quantization;
import io.lorafleet.tools.synthetic.CheckpointShape;
import io.lorafleet.tools.synthetic.SyntheticCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lorafleet quant-quality}: how far {@code --quantize int8} moves a model's outputs. Loads the
 * checkpoint once, packs it twice on the CPU backend (as stored, and int8), and runs {@link
 * BackendAgreement} over seeded random prompts: top-1 agreement (teacher-forced on the unquantized greedy
 * continuation), identical greedy continuations, and the max / mean logit error against the spread of the
 * unquantized logits. With adapters, the same with the first adapter on both.
 */
@Command(name = "quant-quality", mixinStandardHelpOptions = true,
    description = "Compares --quantize int8 with the unquantized model on the CPU backend: greedy agreement and "
        + "logit error over random prompts.")
public final class QuantQualityCommand implements Callable<Integer> {
  private static final int BLOCK = 16;
  private static final int MAX_PROMPTS = 1000;
  private static final int MAX_LENGTH = 1024;

  @Option(names = "--model", description = "HF model directory (default: the synthetic checkpoint of --shape)")
  Path model;

  @Option(names = "--shape", defaultValue = "tinyllama-1.1b", description = "synthetic checkpoint shape when no --model "
      + "is given (default: ${DEFAULT-VALUE})")
  String shape;

  @Option(names = "--cache-dir", description = "where synthetic checkpoints are kept (default: <java.io.tmpdir>/lorafleet-bench)")
  Path cacheDir;

  @Option(names = "--adapter", description = "also compare with this PEFT adapter directory on both")
  Path adapter;

  @Option(names = "--prompts", defaultValue = "8", description = "random prompts (default: ${DEFAULT-VALUE})")
  int prompts;

  @Option(names = "--prompt-tokens", defaultValue = "16", description = "tokens per prompt (default: ${DEFAULT-VALUE})")
  int promptTokens;

  @Option(names = "--tokens", defaultValue = "16", description = "generated positions compared per prompt (default: ${DEFAULT-VALUE})")
  int tokens;

  @Option(names = "--seed", defaultValue = "14", description = "prompt seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--threads", defaultValue = "0", description = "CPU threads (0: all cores)")
  int threads;

  @Option(names = "--speed-rounds", defaultValue = "0", description = "also time batch-1 decode steps of both, "
      + "alternating rounds of --speed-steps steps each so that both run under the same load (default: ${DEFAULT-VALUE}: off)")
  int speedRounds;

  @Option(names = "--speed-steps", defaultValue = "8", description = "decode steps per round (default: ${DEFAULT-VALUE})")
  int speedSteps;

  @Override
  public Integer call() throws IOException {
    if (prompts < 1 || prompts > MAX_PROMPTS) {
      throw new CliInputException("--prompts " + prompts + ": between 1 and " + MAX_PROMPTS);
    }
    if (speedRounds < 0 || speedRounds > 1000 || speedSteps < 1 || speedSteps > 256) {
      throw new CliInputException("--speed-rounds 0..1000 and --speed-steps 1..256");
    }
    if (promptTokens < 1 || tokens < 1 || promptTokens + tokens > MAX_LENGTH) {
      throw new CliInputException("--prompt-tokens and --tokens: at least 1 each, at most " + MAX_LENGTH + " together");
    }
    Path dir = model;
    if (dir == null) {
      CheckpointShape s;
      try {
        s = CheckpointShape.byName(shape);
      } catch (IllegalArgumentException e) {
        throw new CliInputException("--shape: " + e.getMessage());
      }
      dir = SyntheticCheckpoint.ensure(s, 0, cacheDir != null ? cacheDir : SyntheticCheckpoint.defaultCacheRoot())
          .modelDir();
    } else if (!Files.isDirectory(dir)) {
      throw new CliInputException("--model " + dir + ": directory not found");
    }
    int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    try (LlamaModel m = LlamaModel.load(dir);
        CpuBackend plain = new CpuBackend(m, t, Quantization.NONE);
        CpuBackend int8 = new CpuBackend(m, t, Quantization.INT8)) {
      int blocks = (Math.max(promptTokens + tokens, 1 + speedSteps) + BLOCK - 1) / BLOCK;
      plain.allocateKvCache(blocks, BLOCK);
      int8.allocateKvCache(blocks, BLOCK);
      Random r = new Random(seed);
      List<int[]> ps = new ArrayList<>();
      int vocab = m.config().vocabSize();
      for (int i = 0; i < prompts; i++) {
        int[] p = new int[promptTokens];
        for (int j = 0; j < p.length; j++) {
          p[j] = r.nextInt(vocab);
        }
        ps.add(p);
      }
      System.out.println("model " + dir + ": " + m.config().numLayers() + " layers, hidden " + m.config().hiddenSize()
          + ", vocab " + vocab + "; weight bytes per decode step " + m.weights().bytesReadPerStep() + " as stored, "
          + m.weights().bytesReadPerStep(Quantization.INT8) + " int8");
      if (speedRounds > 0) {
        speed(m, plain, int8);
      }
      long t0 = System.nanoTime();
      BackendAgreement.Result base = BackendAgreement.compare(plain, -1, int8, -1, ps, tokens, BLOCK);
      System.out.println("base model: " + base);
      if (adapter != null) {
        LoraAdapter a = LoraAdapter.load(adapter.getFileName().toString(), adapter, m.config(), 0);
        BackendAgreement.Result withAdapter = BackendAgreement.compare(plain, plain.uploadAdapter(a), int8,
            int8.uploadAdapter(a), ps, tokens, BLOCK);
        System.out.println("adapter " + adapter.getFileName() + ": " + withAdapter);
      }
      System.out.printf(java.util.Locale.ROOT, "compared in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }
    return 0;
  }

  /**
   * Batch-1 decode steps (positions 1..speedSteps after a one-token prompt), alternating rounds between the
   * two backends after one warm-up round each; prints the median step of each and their ratio, with the load
   * average before and after.
   */
  private void speed(LlamaModel m, CpuBackend plain, CpuBackend int8) {
    double loadBefore = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    List<Double> a = new ArrayList<>();
    List<Double> b = new ArrayList<>();
    for (int round = -1; round < speedRounds; round++) {
      List<Double> ra = steps(plain);
      List<Double> rb = steps(int8);
      if (round >= 0) {
        a.addAll(ra);
        b.addAll(rb);
      }
    }
    double loadAfter = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    double ma = median(a);
    double mb = median(b);
    long bytesA = m.weights().bytesReadPerStep();
    long bytesB = m.weights().bytesReadPerStep(Quantization.INT8);
    System.out.printf(java.util.Locale.ROOT, "batch-1 decode, %d alternating rounds of %d steps, load average %.1f -> %.1f:%n"
        + "  as stored: median step %.1f ms (%.2f tokens/s, %.2f GB/s of weights)%n"
        + "  int8:      median step %.1f ms (%.2f tokens/s, %.2f GB/s of weights)%n"
        + "  int8 speedup %.2fx (bytes per step %.3f GB -> %.3f GB)%n",
        speedRounds, speedSteps, loadBefore, loadAfter, ma, 1000 / ma, bytesA / ma / 1e6, mb, 1000 / mb,
        bytesB / mb / 1e6, ma / mb, bytesA / 1e9, bytesB / 1e9);
  }

  /** One round: a one-token prefill, then timed single-token decode steps; their times in ms. */
  private List<Double> steps(CpuBackend b) {
    List<Double> out = new ArrayList<>();
    int[] table = new int[(1 + speedSteps + BLOCK - 1) / BLOCK];
    for (int i = 0; i < table.length; i++) {
      table[i] = i;
    }
    int token = 1;
    for (int pos = 0; pos <= speedSteps; pos++) {
      long t0 = System.nanoTime();
      float[] row = b.forward(new io.lorafleet.runtime.backend.ForwardBatch(new int[] {token}, new int[] {pos},
          List.of(new io.lorafleet.runtime.backend.ForwardBatch.SequenceRows(0, 1, table, -1)),
          List.of(new io.lorafleet.runtime.backend.ForwardBatch.AdapterSegment(-1, 0, 1)), new int[] {0})).row(0);
      if (pos > 0) {
        out.add((System.nanoTime() - t0) / 1e6);
      }
      token = BackendAgreement.argmax(row);
    }
    return out;
  }

  private static double median(List<Double> v) {
    double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
