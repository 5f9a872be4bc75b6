package io.lorafleet.tools.gpubench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code gpu-bench http}: the figures through a running server ({@link HttpBench}) into a JSON file. */
@Command(name = "http", mixinStandardHelpOptions = true,
    description = "Measure a running 'lorafleet serve' (started with --adapters on the manifest's adapters) over "
        + "HTTP; write its figures as JSON.")
final class HttpBenchCommand implements Callable<Integer> {
  @Option(names = "--manifest", required = true, description = "written by gpu-bench checkpoint")
  Path manifest;

  @Option(names = "--url", required = true, description = "the server, e.g. http://127.0.0.1:8080")
  URI url;

  @Option(names = "--json", required = true, description = "where the figures go (rewritten after every phase)")
  Path json;

  @Option(names = "--request-timeout-s", defaultValue = "300", description = "limit per request (default: ${DEFAULT-VALUE})")
  int requestTimeoutSeconds;

  @Option(names = "--warm-concurrency", defaultValue = "64",
      description = "requests in flight while every adapter is used once (default: ${DEFAULT-VALUE})")
  int warmConcurrency;

  @Option(names = "--health-wait-s", defaultValue = "300", description = "how long to wait for /health (default: ${DEFAULT-VALUE})")
  int healthWaitSeconds;

  @Mixin
  WorkloadOptions workloadOptions;

  @Override
  public Integer call() throws IOException, InterruptedException {
    BenchManifest m = BenchManifest.read(manifest);
    HttpBench.Settings s = new HttpBench.Settings(workloadOptions.workload(), url,
        Duration.ofSeconds(requestTimeoutSeconds), warmConcurrency, Duration.ofSeconds(healthWaitSeconds));
    SystemResult.runWritingAsItGoes(json, "HTTP run", progress -> new HttpBench(m, s, progress).run());
    return 0;
  }
}
