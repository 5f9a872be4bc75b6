package io.lorafleet.tools.loadtest;

import io.lorafleet.runtime.cli.CliInputException;
import io.lorafleet.tools.client.GenerationClient;
import io.lorafleet.tools.client.ServingApi;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lorafleet loadtest}: drives a running node with an open-loop load (see {@link LoadGenerator}),
 * prints the {@link LoadTestTable} and optionally writes the {@link LoadTestReport} as JSON. Exit code 0 when
 * at least one request succeeded, 1 otherwise, 2 for bad options.
 */
@Command(name = "loadtest", mixinStandardHelpOptions = true,
    description = "Open-loop load test of a running node: Poisson arrivals, Zipf adapter popularity, streamed "
        + "responses; prints throughput, time to first token and end-to-end latency, and the adapter cache hit rate.")
public final class LoadTestCommand implements Callable<Integer> {
  @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", description = "node URL (default: ${DEFAULT-VALUE})")
  String url;

  @Option(names = "--adapters", paramLabel = "N",
      description = "spread requests over N adapters (the first N by id the server lists; 0: base model only; "
          + "default: every listed adapter)")
  Integer adapters;

  @Option(names = "--adapter-prefix", description = "adapter ids are PREFIX0000 .. (as make-adapters names them) "
      + "instead of the server's listing")
  String adapterPrefix;

  @Option(names = "--rate", required = true, description = "requests started per second (Poisson arrivals)")
  double rate;

  @Option(names = "--duration", defaultValue = "30", description = "seconds of measured load (default: ${DEFAULT-VALUE})")
  double duration;

  @Option(names = "--warmup", defaultValue = "0", description = "seconds of load before the measurement (default: ${DEFAULT-VALUE})")
  double warmup;

  @Option(names = "--zipf", defaultValue = "1.1", description = "Zipf exponent of adapter popularity, 0 uniform (default: ${DEFAULT-VALUE})")
  double zipf;

  @Option(names = "--prompt-tokens", defaultValue = "8", description = "words per prompt, about a token each (default: ${DEFAULT-VALUE})")
  int promptTokens;

  @Option(names = "--max-new-tokens", defaultValue = "16", description = "tokens generated per request (default: ${DEFAULT-VALUE})")
  int maxNewTokens;

  @Option(names = "--api", defaultValue = "lorax", description = "lorax (/generate_stream) or openai (/v1/completions) (default: ${DEFAULT-VALUE})")
  String api;

  @Option(names = "--stream", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "stream responses, which time to first token needs (default: on; --no-stream to turn off)")
  boolean stream;

  @Option(names = "--seed", defaultValue = "42", description = "seed of arrivals, adapter choices and prompts (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--concurrency-limit", defaultValue = "1024",
      description = "most requests in flight; later arrivals are recorded as not started, 0 no limit (default: ${DEFAULT-VALUE})")
  int concurrencyLimit;

  @Option(names = "--timeout", defaultValue = "120", description = "seconds to wait for a response's headers, and for the last responses (default: ${DEFAULT-VALUE})")
  double timeout;

  @Option(names = "--hostile-rate", defaultValue = "0",
      description = "also send this many hostile requests per second (huge max_new_tokens, unknown and oversized ids,"
          + " long stop lists, wrapping token ids, clients that vanish mid-request) for the whole run, and print their"
          + " statuses; a soak of the node's bounds (default: ${DEFAULT-VALUE}, none)")
  double hostileRate;

  @Option(names = "--json", description = "write the report as JSON to this file")
  Path json;

  @Option(names = "--requests-out", description = "write one JSON line per request (arrival, adapter, outcome, latencies) to this file")
  Path requestsOut;

  @Override
  public Integer call() throws InterruptedException {
    LoadTestSettings settings = settings();
    if (!(hostileRate >= 0) || Double.isInfinite(hostileRate)) {
      throw new CliInputException("--hostile-rate must be a number >= 0, got " + hostileRate);
    }
    String hostileTable = null;
    LoadRun run;
    List<String> ids;
    try (GenerationClient client = new GenerationClient(settings.url(), Duration.ofSeconds(5))) {
      ids = LoadTestAdapters.resolve(client, settings);
      System.err.printf(Locale.ROOT, "lorafleet loadtest: %s, %d adapters, %.1f req/s for %.0f s (+%.0f s warmup)%n",
          settings.url(), ids.size(), settings.rate(), duration, warmup);
      HostileLoad hostile = hostileRate > 0 ? new HostileLoad(settings.url(), hostileRate) : null;
      Thread hostileThread = null;
      if (hostile != null) {
        long end = System.nanoTime() + settings.warmup().toNanos() + settings.duration().toNanos();
        hostileThread = Thread.ofPlatform().name("hostile-load").start(() -> {
          try {
            hostile.run(end, settings.seed() ^ 0x5eed);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
      }
      run = new LoadGenerator(settings, client, ids, System.err).run();
      if (hostileThread != null) {
        hostileThread.join();
        hostileTable = hostile.table();
      }
    }
    LoadTestReport report = run.report(settings, ids.size());
    System.out.print(LoadTestTable.render(report));
    if (hostileTable != null) {
      System.out.print(hostileTable);
    }
    System.out.flush();
    if (json != null) {
      write("--json", json, f -> Files.writeString(f, report.toJson() + "\n", StandardCharsets.UTF_8));
    }
    if (requestsOut != null) {
      write("--requests-out", requestsOut, run::writeRequests);
    }
    return report.requests().ok() > 0 ? 0 : 1;
  }

  /** Writes an output file through {@code writer}, creating its directory. */
  private interface OutputFile {
    void write(Path file) throws IOException;
  }

  private static void write(String option, Path file, OutputFile writer) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      writer.write(file);
    } catch (IOException e) {
      throw new CliInputException(option + " " + file + ": cannot write: " + e.getMessage());
    }
  }

  LoadTestSettings settings() {
    ServingApi which;
    try {
      which = ServingApi.valueOf(api.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new CliInputException("--api must be lorax or openai, got '" + api + "'");
    }
    URI base;
    try {
      base = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
    } catch (IllegalArgumentException e) {
      throw new CliInputException("--url " + url + ": " + e.getMessage());
    }
    if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme()) || base.getHost() == null) {
      throw new CliInputException("--url must be an http(s) URL such as http://127.0.0.1:8080, got " + url);
    }
    try {
      return new LoadTestSettings(base, which, stream, adapters, adapterPrefix, rate, seconds(duration),
          seconds(warmup), zipf, promptTokens, maxNewTokens, seed, concurrencyLimit, seconds(timeout));
    } catch (IllegalArgumentException e) {
      throw new CliInputException(e.getMessage());
    }
  }

  private static Duration seconds(double s) {
    if (Double.isNaN(s) || Double.isInfinite(s)) {
      throw new CliInputException("durations must be finite numbers of seconds, got " + s);
    }
    return Duration.ofNanos(Math.round(s * 1e9));
  }
}
