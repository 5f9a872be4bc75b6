package io.lorafleet.tools.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.runtime.cli.CliInputException;
import io.lorafleet.runtime.cli.EngineOptions;
import io.lorafleet.runtime.engine.Engine;
import io.lorafleet.runtime.engine.EngineConfig;
import io.lorafleet.runtime.engine.EngineStats;
import io.lorafleet.runtime.engine.GenerateRequest;
import io.lorafleet.runtime.engine.GenerationListener;
import io.lorafleet.runtime.engine.GenerationResult;
import io.lorafleet.runtime.engine.LoadedModel;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.engine.TokenOutput;
import io.lorafleet.runtime.errors.LoraFleetException;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.tools.report.HostInfo;
import io.lorafleet.tools.report.TextTable;
import io.lorafleet.tools.synthetic.CheckpointShape;
import io.lorafleet.tools.synthetic.SyntheticCheckpoint;
import io.lorafleet.tools.synthetic.SyntheticTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lorafleet bench-prefix}: time to first token of a request whose long prefix is in the prefix cache
 * against the same request whose prefix is not, on the synthetic checkpoint of {@code lorafleet bench}
 * (random weights, real shape), for the base model and for one adapter. Each repetition sends a fresh random
 * prefix plus a question (cold: the whole prompt is computed, and its blocks are cached), then the same prefix
 * with another question (cached: only the question and the prefix's last partial block are computed). One
 * request at a time, one output token, on an otherwise idle engine stepped on this thread. Table on stdout,
 * JSON to a file.
 */
@Command(name = "bench-prefix", mixinStandardHelpOptions = true,
    description = "Time to first token with the prompt prefix in the prefix cache vs not, on a synthetic "
        + "checkpoint (random weights, real shapes).")
public final class PrefixCacheBenchCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(PrefixCacheBenchCommand.class);

  @Option(names = "--shape", defaultValue = "tinyllama-1.1b",
      description = "checkpoint shape: tinyllama-1.1b or tiny (default: ${DEFAULT-VALUE})")
  String shape;

  @Option(names = "--prefix-tokens", defaultValue = "1000",
      description = "tokens of the shared prefix (default: ${DEFAULT-VALUE})")
  int prefixTokens;

  @Option(names = "--question-tokens", defaultValue = "16",
      description = "tokens after the prefix, different in every request (default: ${DEFAULT-VALUE})")
  int questionTokens;

  @Option(names = "--reps", defaultValue = "3", description = "cold/cached pairs per model; medians are reported "
      + "(default: ${DEFAULT-VALUE})")
  int reps;

  @Option(names = "--json", defaultValue = "bench-out/prefix-cache.json",
      description = "JSON report file (default: ${DEFAULT-VALUE})")
  Path json;

  @Option(names = "--cache-dir", description = "where synthetic checkpoints are kept (default: <java.io.tmpdir>/lorafleet-bench)")
  Path cacheDir;

  @Mixin
  EngineOptions engineOptions;

  /** One timed request. */
  private record Timing(double ttftMillis, long promptTokensComputed, long hitTokens) {}

  @Override
  public Integer call() throws IOException {
    CheckpointShape s;
    try {
      s = CheckpointShape.byName(shape);
    } catch (IllegalArgumentException e) {
      throw new CliInputException("--shape: " + e.getMessage());
    }
    if (prefixTokens < 1 || questionTokens < 1 || reps < 1) {
      throw new CliInputException("--prefix-tokens, --question-tokens and --reps must be at least 1");
    }
    if (Boolean.FALSE.equals(engineOptions.prefixCaching)) {
      throw new CliInputException("--no-prefix-caching: this benchmark measures the prefix cache");
    }
    Path cache = cacheDir != null ? cacheDir : SyntheticCheckpoint.defaultCacheRoot();
    SyntheticCheckpoint checkpoint = SyntheticCheckpoint.ensure(s, 1, cache);
    EngineConfig config = engineOptions.engineConfig().withPrefixCaching(true);
    HostInfo host = HostInfo.detect();
    double loadBefore = HostInfo.loadAverage();
    ObjectNode report = new ObjectMapper().createObjectNode();
    TextTable table = new TextTable("model", "cold TTFT ms", "cached TTFT ms", "speedup", "computed cold",
        "computed cached", "hit tokens").numbers();
    try (LoadedModel le = LoadedModel.open(checkpoint.modelDir(), engineOptions.backend, engineOptions.backendConfig(),
        config)) {
      Engine engine = le.engine();
      int total = prefixTokens + questionTokens + 1;
      try {
        engine.checkFits(total, 1);
      } catch (LoraFleetException e) {
        throw new CliInputException("--prefix-tokens " + prefixTokens + " --question-tokens " + questionTokens + ": "
            + e.getMessage());
      }
      Path adapterDir = checkpoint.adapterDirs().getFirst();
      LoraAdapter adapter = le.loadAdapter(adapterDir.getFileName().toString(), adapterDir, 0);
      int bos = le.tokenizer().bosTokenId().orElse(SyntheticTokenizer.BOS_ID);
      int vocab = engine.vocabSize();
      SplittableRandom rng = new SplittableRandom(7);
      // Warm-up: JIT and first touch of the weights, on a short prompt, cold and cached.
      int[] warm = randomTokens(rng, bos, 64, vocab);
      timed(engine, warm, null);
      timed(engine, withQuestion(warm, rng, 8, vocab), null);

      ArrayNode rows = report.putArray("models");
      for (LoraAdapter a : Arrays.asList(null, adapter)) {
        String name = a == null ? "base" : "adapter " + a.id();
        double[] cold = new double[reps];
        double[] hot = new double[reps];
        Timing lastCold = null;
        Timing lastHot = null;
        for (int r = 0; r < reps; r++) {
          int[] prefix = randomTokens(rng, bos, prefixTokens, vocab);
          lastCold = timed(engine, withQuestion(prefix, rng, questionTokens, vocab), a);
          lastHot = timed(engine, withQuestion(prefix, rng, questionTokens, vocab), a);
          cold[r] = lastCold.ttftMillis();
          hot[r] = lastHot.ttftMillis();
          log.info("{} rep {}: cold {} ms ({} tokens computed), cached {} ms ({} computed, {} hit)", name, r,
              fmt(cold[r]), lastCold.promptTokensComputed(), fmt(hot[r]), lastHot.promptTokensComputed(),
              lastHot.hitTokens());
        }
        double c = median(cold);
        double h = median(hot);
        table.add(name, fmt(c), fmt(h), fmt(c / h) + "x", Long.toString(lastCold.promptTokensComputed()),
            Long.toString(lastHot.promptTokensComputed()), Long.toString(lastHot.hitTokens()));
        ObjectNode row = rows.addObject();
        row.put("model", a == null ? "base" : "adapter");
        row.put("cold_ttft_ms_median", c);
        row.put("cached_ttft_ms_median", h);
        row.put("speedup", c / h);
        ArrayNode cs = row.putArray("cold_ttft_ms");
        Arrays.stream(cold).forEach(cs::add);
        ArrayNode hs = row.putArray("cached_ttft_ms");
        Arrays.stream(hot).forEach(hs::add);
        row.put("prompt_tokens", prefixTokens + questionTokens + 1);
        row.put("computed_tokens_cold", lastCold.promptTokensComputed());
        row.put("computed_tokens_cached", lastHot.promptTokensComputed());
        row.put("hit_tokens_cached", lastHot.hitTokens());
      }
      report.put("backend", le.backend().name());
    }
    double loadAfter = HostInfo.loadAverage();
    report.put("shape", s.name());
    report.put("prefix_tokens", prefixTokens);
    report.put("question_tokens", questionTokens);
    report.put("reps", reps);
    report.put("block_size", config.blockSize());
    report.put("max_batch_tokens", config.maxBatchTokens());
    report.put("threads", engineOptions.backendConfig().resolvedThreads());
    report.put("cpu", host.cpuModel());
    report.put("cores", host.cores());
    report.put("load_average_before", loadBefore);
    report.put("load_average_after", loadAfter);
    report.put("date", Instant.now().toString());
    System.out.println("prefix cache: time to first token, " + s.name() + ", " + prefixTokens + "-token prefix + "
        + questionTokens + "-token question (+BOS), median of " + reps + "; load average " + fmt(loadBefore) + " -> "
        + fmt(loadAfter) + " on " + host.cores() + " cores");
    System.out.print(table.render());
    System.out.flush();
    Path file = json.toAbsolutePath();
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(file.toFile(), report);
    log.info("wrote {}", file);
    return 0;
  }

  /** BOS and {@code n} random ids. */
  private static int[] randomTokens(SplittableRandom rng, int bos, int n, int vocab) {
    int[] out = new int[n + 1];
    out[0] = bos;
    for (int i = 1; i <= n; i++) {
      out[i] = 1 + rng.nextInt(vocab - 1);
    }
    return out;
  }

  private static int[] withQuestion(int[] prefix, SplittableRandom rng, int n, int vocab) {
    int[] out = Arrays.copyOf(prefix, prefix.length + n);
    for (int i = prefix.length; i < out.length; i++) {
      out[i] = 1 + rng.nextInt(vocab - 1);
    }
    return out;
  }

  private static int ids;

  /** Runs one request to its first token; its time to first token and what the engine computed for it. */
  private static Timing timed(Engine engine, int[] prompt, LoraAdapter adapter) {
    EngineStats before = engine.stats();
    GenerationResult[] result = new GenerationResult[1];
    RuntimeException[] error = new RuntimeException[1];
    engine.submit(new GenerateRequest("prefix-bench-" + ids++, prompt, adapter,
        SamplingParams.builder().maxNewTokens(1).ignoreEos(true).build()), new GenerationListener() {
          @Override
          public void onToken(String requestId, TokenOutput token) {}

          @Override
          public void onFinish(GenerationResult r) {
            result[0] = r;
          }

          @Override
          public void onError(String requestId, LoraFleetException e) {
            error[0] = e;
          }
        });
    engine.runUntilIdle();
    if (error[0] != null) {
      throw error[0];
    }
    EngineStats after = engine.stats();
    long hits = after.prefixHitBase() + after.prefixHitAdapter() - before.prefixHitBase() - before.prefixHitAdapter();
    return new Timing((result[0].firstTokenNanos() - result[0].arrivalNanos()) / 1e6,
        after.promptTokens() - before.promptTokens(), hits);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static String fmt(double v) {
    return String.format(java.util.Locale.ROOT, v >= 100 ? "%.0f" : "%.1f", v);
  }
}
