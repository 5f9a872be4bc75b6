package io.lorafleet.tools.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafleet.runtime.cli.CliInputException;
import io.lorafleet.runtime.cli.EngineOptions;
import io.lorafleet.tools.bench.BenchReport;
import io.lorafleet.tools.bench.BenchRun;
import io.lorafleet.tools.bench.BenchSettings;
import io.lorafleet.tools.synthetic.CheckpointShape;
import io.lorafleet.tools.synthetic.SyntheticCheckpoint;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lorafleet bench}: generates (once, cached) a checkpoint of real shape with random weights and
 * random adapters, then measures memory bandwidth and the engine's decode, mixed-adapter and prefill
 * throughput in one run. Table on stdout, JSON to a file, logs on stderr.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmark the engine on a synthetic checkpoint (random weights, real shapes) against this "
        + "machine's measured memory bandwidth.")
public final class BenchCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(BenchCommand.class);
  /** The batch of the report's {@code *_batch32} / {@code mixed32_*} keys. */
  static final int BATCH = 32;

  @Option(names = "--shape", defaultValue = "tinyllama-1.1b",
      description = "checkpoint shape: tinyllama-1.1b or tiny (default: ${DEFAULT-VALUE})")
  String shape;

  @Option(names = "--adapters", defaultValue = "32",
      description = "random rank-16 LoRA adapters; the mixed batch of " + BATCH + " cycles through them (default: ${DEFAULT-VALUE})")
  int adapters;

  @Option(names = "--decode-tokens", defaultValue = "16", description = "decode steps timed per phase (default: ${DEFAULT-VALUE})")
  int decodeTokens;

  @Option(names = "--prompt-tokens", defaultValue = "16", description = "prompt length of the decode phases (default: ${DEFAULT-VALUE})")
  int promptTokens;

  @Option(names = "--prefill-tokens", defaultValue = "512", description = "prompt length of the prefill phase (default: ${DEFAULT-VALUE})")
  int prefillTokens;

  @Option(names = "--bandwidth-mib", defaultValue = "1024", description = "buffer of the memory-bandwidth probe in MiB (default: ${DEFAULT-VALUE})")
  int bandwidthMib;

  @Option(names = "--bandwidth-reps", defaultValue = "5", description = "repetitions of the bandwidth probe; the best counts (default: ${DEFAULT-VALUE})")
  int bandwidthReps;

  @Option(names = "--json", defaultValue = "bench-out/bench.json", description = "JSON report file (default: ${DEFAULT-VALUE})")
  Path json;

  @Option(names = "--cache-dir", description = "where synthetic checkpoints are kept (default: <java.io.tmpdir>/lorafleet-bench)")
  Path cacheDir;

  @Mixin
  EngineOptions engineOptions;

  @Override
  public Integer call() throws IOException {
    CheckpointShape s;
    try {
      s = CheckpointShape.byName(shape);
    } catch (IllegalArgumentException e) {
      throw new CliInputException("--shape: " + e.getMessage());
    }
    requirePositive("--adapters", adapters);
    requirePositive("--decode-tokens", decodeTokens);
    requirePositive("--prompt-tokens", promptTokens);
    requirePositive("--prefill-tokens", prefillTokens);
    requirePositive("--bandwidth-mib", bandwidthMib);
    requirePositive("--bandwidth-reps", bandwidthReps);
    if (engineOptions.maxNumSeqs < BATCH) {
      throw new CliInputException("--max-num-seqs " + engineOptions.maxNumSeqs + ": the benchmark runs batches of "
          + BATCH + " sequences");
    }
    if (engineOptions.maxBatchTokens < BATCH) {
      throw new CliInputException("--max-batch-tokens " + engineOptions.maxBatchTokens
          + ": a decode step of the benchmark has " + BATCH + " tokens");
    }
    Path cache = cacheDir != null ? cacheDir : SyntheticCheckpoint.defaultCacheRoot();
    SyntheticCheckpoint checkpoint = SyntheticCheckpoint.ensure(s, adapters, cache);
    BenchSettings settings = new BenchSettings(BATCH, decodeTokens, promptTokens, prefillTokens,
        (long) bandwidthMib << 20, bandwidthReps, engineOptions.backend, engineOptions.backendConfig(),
        engineOptions.engineConfig());
    BenchReport report;
    try {
      report = BenchRun.run(checkpoint, settings);
    } catch (IllegalArgumentException e) {
      throw new CliInputException(e.getMessage());
    }
    PrintStream out = System.out;
    out.println(report.title());
    out.print(report.table());
    out.flush();
    Path file = json.toAbsolutePath();
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(file.toFile(), report.toJson());
    log.info("wrote {}", file);
    return 0;
  }

  private static void requirePositive(String option, int value) {
    if (value < 1) {
      throw new CliInputException(option + " " + value + ": must be at least 1");
    }
  }
}
