package io.lorafleet.tools.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import io.lorafleet.actors.node.LoraFleetNode;
import io.lorafleet.runtime.backend.BackendConfig;
import io.lorafleet.runtime.cli.CliInputException;
import io.lorafleet.runtime.cli.LoraFleetCli;
import io.lorafleet.runtime.engine.EngineConfig;
import io.lorafleet.tools.client.GenerationClient;
import io.lorafleet.tools.client.ServingApi;
import io.lorafleet.tools.report.TextTable;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lorafleet loadtest-priority}: the overload measurement of priority classes (see {@link PriorityLoad}):
 * an interactive client's time to first token alone and under a batch flood far above the node's capacity,
 * and the batch client's completed work; prints a table and optionally writes JSON. Against {@code --url}, or
 * against a node it starts in this process on the CPU (the bundled demo model, or {@code --model}). Exit code 0
 * when the measurement ran (whether or not the targets were met: the table says), 1 when no interactive request
 * succeeded, 2 for bad options.
 */
@Command(name = "loadtest-priority", mixinStandardHelpOptions = true,
    description = "Overload measurement of priority classes: an interactive client's time to first token alone and "
        + "under a batch flood far above capacity (and under the same flood without classes), and the batch "
        + "client's completed requests.")
public final class PriorityLoadTestCommand implements Callable<Integer> {
  /** The target: the interactive p99 time to first token under the flood within this factor of its value alone. */
  static final double P99_TARGET = 1.5;

  @Option(names = "--url", description = "node URL (default: start a node in this process on the CPU)")
  String url;

  @Option(names = "--model", description = "model of the node started here (default: the bundled demo model)")
  Path model;

  @Option(names = "--max-num-seqs", defaultValue = "16",
      description = "running batch of the node started here (default: ${DEFAULT-VALUE})")
  int maxNumSeqs;

  @Option(names = "--threads", defaultValue = "0", description = "CPU threads of the node started here (0: all cores)")
  int threads;

  @Option(names = "--adapter", description = "adapter both clients ask for (default: the base model)")
  String adapter;

  @Option(names = "--api", defaultValue = "lorax", description = "lorax or openai (default: ${DEFAULT-VALUE})")
  String api;

  @Option(names = "--interactive-rate", defaultValue = "2",
      description = "interactive requests per second, Poisson, streamed (default: ${DEFAULT-VALUE})")
  double interactiveRate;

  @Option(names = "--interactive-tokens", defaultValue = "16", description = "tokens per interactive request (default: ${DEFAULT-VALUE})")
  int interactiveTokens;

  @Option(names = "--batch-concurrency", defaultValue = "64",
      description = "batch requests kept outstanding, closed loop, not streamed; 0: no batch client (default: ${DEFAULT-VALUE})")
  int batchConcurrency;

  @Option(names = "--batch-tokens", defaultValue = "128", description = "tokens per batch request (default: ${DEFAULT-VALUE})")
  int batchTokens;

  @Option(names = "--prompt-words", defaultValue = "12", description = "words per prompt, both clients (default: ${DEFAULT-VALUE})")
  int promptWords;

  @Option(names = "--duration", defaultValue = "30", description = "seconds measured per phase (default: ${DEFAULT-VALUE})")
  double duration;

  @Option(names = "--warmup", defaultValue = "5", description = "seconds of batch flood before each flood phase's window (default: ${DEFAULT-VALUE})")
  double warmup;

  @Option(names = "--comparison", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "also run the flood with no priority field on either client, the FIFO baseline (default: on)")
  boolean comparison;

  @Option(names = "--seed", defaultValue = "42", description = "seed of arrivals and prompts (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--timeout", defaultValue = "120", description = "seconds to wait for a response (default: ${DEFAULT-VALUE})")
  double timeout;

  @Option(names = "--json", description = "write the report as JSON to this file")
  Path json;

  @Override
  public Integer call() throws Exception {
    PriorityLoad.Settings settings = settings();
    LoraFleetNode node = null;
    Path work = null;
    try {
      URI base;
      if (url == null) {
        work = Files.createTempDirectory("lorafleet-loadtest-priority");
        node = startNode(work);
        base = URI.create(node.url());
      } else {
        base = baseUrl(url);
      }
      List<PriorityLoad.Phase> phases;
      try (GenerationClient client = new GenerationClient(base, Duration.ofSeconds(5))) {
        if (!client.awaitHealthy(Duration.ofSeconds(60))) {
          throw new CliInputException("--url " + base + ": the node did not answer /health with 200 within 60 s");
        }
        phases = new PriorityLoad(settings, client, System.err).run();
      }
      ObjectNode report = report(base, settings, phases);
      System.out.print(render(report, phases));
      System.out.flush();
      if (json != null) {
        write(json, report);
      }
      return phases.getFirst().interactiveOk() > 0 ? 0 : 1;
    } finally {
      if (node != null) {
        node.close();
      }
    }
  }

  private LoraFleetNode startNode(Path work) {
    Map<String, Object> c = new HashMap<>();
    c.put("lorafleet.http.port", 0);
    c.put("lorafleet.model.dir", (model != null ? model : LoraFleetCli.bundledModel()).toString());
    c.put("lorafleet.model.backend", "cpu");
    c.put("lorafleet.adapters.cache.disk-dir", work.resolve("cache").toString());
    System.err.printf(Locale.ROOT, "lorafleet loadtest-priority: starting a node (%s, CPU, %d sequences)%n",
        c.get("lorafleet.model.dir"), maxNumSeqs);
    return LoraFleetNode.start(ConfigFactory.parseMap(c).withFallback(ConfigFactory.load()),
        EngineConfig.DEFAULTS.withMaxNumSeqs(maxNumSeqs).withKvCacheBytes(128L << 20), new BackendConfig(threads, 0));
  }

  PriorityLoad.Settings settings() {
    ServingApi which;
    try {
      which = ServingApi.valueOf(api.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new CliInputException("--api must be lorax or openai, got '" + api + "'");
    }
    if (!(interactiveRate > 0) || Double.isInfinite(interactiveRate)) {
      throw new CliInputException("--interactive-rate must be a number > 0, got " + interactiveRate);
    }
    if (interactiveTokens < 1 || batchTokens < 1 || promptWords < 1) {
      throw new CliInputException("--interactive-tokens, --batch-tokens and --prompt-words must be at least 1");
    }
    if (batchConcurrency < 0 || batchConcurrency > 10_000) {
      throw new CliInputException("--batch-concurrency must be in [0, 10000], got " + batchConcurrency);
    }
    if (maxNumSeqs < 1) {
      throw new CliInputException("--max-num-seqs must be at least 1, got " + maxNumSeqs);
    }
    return new PriorityLoad.Settings(which, adapter, interactiveRate, promptWords, interactiveTokens,
        batchConcurrency, promptWords, batchTokens, seconds("--duration", duration, 1), seconds("--warmup", warmup, 0),
        Duration.ofSeconds(3), seconds("--timeout", timeout, 1), seed, comparison);
  }

  private static Duration seconds(String option, double s, double min) {
    if (Double.isNaN(s) || Double.isInfinite(s) || s < min) {
      throw new CliInputException(option + " must be a finite number of seconds >= " + min + ", got " + s);
    }
    return Duration.ofNanos(Math.round(s * 1e9));
  }

  private static URI baseUrl(String url) {
    URI base;
    try {
      base = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
    } catch (IllegalArgumentException e) {
      throw new CliInputException("--url " + url + ": " + e.getMessage());
    }
    if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme()) || base.getHost() == null) {
      throw new CliInputException("--url must be an http(s) URL such as http://127.0.0.1:8080, got " + url);
    }
    return base;
  }

  /** The JSON report: settings, each phase, and the comparison with the targets. */
  ObjectNode report(URI base, PriorityLoad.Settings s, List<PriorityLoad.Phase> phases) {
    ObjectMapper m = new ObjectMapper();
    ObjectNode r = m.createObjectNode();
    ObjectNode c = r.putObject("config");
    c.put("url", url == null ? "in-process node" : base.toString());
    c.put("model", url != null ? null : (model != null ? model : LoraFleetCli.bundledModel()).toString());
    if (url == null) {
      c.put("max_num_seqs", maxNumSeqs);
    }
    c.put("api", s.api().name().toLowerCase(Locale.ROOT));
    c.put("adapter", s.adapter());
    c.put("interactive_rate", s.interactiveRate());
    c.put("interactive_tokens", s.interactiveTokens());
    c.put("batch_concurrency", s.batchConcurrency());
    c.put("batch_tokens", s.batchTokens());
    c.put("prompt_words", s.interactivePromptWords());
    c.put("duration_s", s.duration().toMillis() / 1000.0);
    c.put("warmup_s", s.warmup().toMillis() / 1000.0);
    c.put("seed", s.seed());
    r.put("cores", Runtime.getRuntime().availableProcessors());
    r.set("phases", m.valueToTree(phases));
    PriorityLoad.Phase alone = phases.getFirst();
    ObjectNode targets = r.putObject("targets");
    for (PriorityLoad.Phase p : phases.subList(1, phases.size())) {
      ObjectNode t = targets.putObject(p.name());
      double ratio = p.interactiveTtftMs().p99() / alone.interactiveTtftMs().p99();
      t.put("ttft_p99_ratio", ratio);
      t.put("ttft_p50_ratio", p.interactiveTtftMs().p50() / alone.interactiveTtftMs().p50());
      t.put("ttft_p99_target", P99_TARGET);
      t.put("ttft_p99_met", ratio <= P99_TARGET);
      t.put("batch_completed", p.batchCompleted());
      t.put("batch_completed_met", p.batchCompleted() > 0);
    }
    return r;
  }

  static String render(ObjectNode report, List<PriorityLoad.Phase> phases) {
    StringBuilder sb = new StringBuilder();
    var c = report.get("config");
    sb.append(String.format(Locale.ROOT, "lorafleet loadtest-priority %s (%s): interactive %.2f req/s x %d tokens "
            + "(streamed); batch flood %d outstanding x %d tokens (not streamed); %.0f s per phase, %d cores%n%n",
        c.get("url").asText(), c.get("api").asText(), c.get("interactive_rate").asDouble(),
        c.get("interactive_tokens").asInt(), c.get("batch_concurrency").asInt(), c.get("batch_tokens").asInt(),
        c.get("duration_s").asDouble(), report.get("cores").asInt()));
    TextTable t = new TextTable("phase", "interactive ok/sent", "ttft p50 ms", "ttft p90 ms", "ttft p99 ms",
        "e2e p50 ms", "batch completed", "batch tokens/s", "batch failed", "load avg").numbers();
    for (PriorityLoad.Phase p : phases) {
      t.add(p.name(), p.interactiveOk() + "/" + p.interactiveSent(), num(p.interactiveTtftMs().p50()),
          num(p.interactiveTtftMs().p90()), num(p.interactiveTtftMs().p99()), num(p.interactiveE2eMs().p50()),
          p.batchRunning() ? Long.toString(p.batchCompleted()) : "-",
          p.batchRunning() ? num(p.batchTokens() / p.seconds()) : "-",
          p.batchRunning() ? failed(p.batchFailedByReason()) : "-",
          String.format(Locale.ROOT, "%.2f -> %.2f", p.loadAverageStart(), p.loadAverageEnd()));
    }
    sb.append(t.render()).append('\n');
    for (PriorityLoad.Phase p : phases) {
      if (!p.nodeMetrics().isEmpty()) {
        sb.append(p.name()).append(" (node, over the window): ");
        StringBuilder line = new StringBuilder();
        p.nodeMetrics().forEach((k, v) -> {
          if (v != 0) {
            line.append(line.isEmpty() ? "" : ", ").append(k).append(' ')
                .append(k.startsWith("queue_time") ? String.format(Locale.ROOT, "%.1f", v) : Long.toString(Math.round(v)));
          }
        });
        sb.append(line.isEmpty() ? "nothing counted" : line).append('\n');
      }
    }
    var targets = report.get("targets");
    targets.fieldNames().forEachRemaining(name -> {
      var x = targets.get(name);
      sb.append(String.format(Locale.ROOT, "%s: interactive ttft p99 %.2fx its value alone (target <= %.1fx: %s), "
              + "p50 %.2fx; batch completed %d (target > 0: %s)%n", name, x.get("ttft_p99_ratio").asDouble(),
          P99_TARGET, x.get("ttft_p99_met").asBoolean() ? "met" : "missed", x.get("ttft_p50_ratio").asDouble(),
          x.get("batch_completed").asLong(), x.get("batch_completed_met").asBoolean() ? "met" : "missed"));
    });
    return sb.toString();
  }

  private static String failed(Map<String, Long> byReason) {
    if (byReason.isEmpty()) {
      return "0";
    }
    StringBuilder sb = new StringBuilder();
    byReason.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : " ").append(k).append(':').append(v));
    return sb.toString();
  }

  private static String num(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v);
  }

  private static void write(Path file, ObjectNode report) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(report) + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new CliInputException("--json " + file + ": cannot write: " + e.getMessage());
    }
  }
}
