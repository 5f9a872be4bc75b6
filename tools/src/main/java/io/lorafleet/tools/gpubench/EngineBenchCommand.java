package io.lorafleet.tools.gpubench;

import io.lorafleet.runtime.cli.CliInputException;
import io.lorafleet.runtime.cli.EngineOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code gpu-bench engine}: the engine-alone figures ({@link EngineBench}) into a JSON file. */
@Command(name = "engine", mixinStandardHelpOptions = true,
    description = "Measure the engine alone (no HTTP) on the manifest's checkpoint; write its figures as JSON.")
final class EngineBenchCommand implements Callable<Integer> {
  @Option(names = "--manifest", required = true, description = "written by gpu-bench checkpoint")
  Path manifest;

  @Option(names = "--json", required = true, description = "where the figures go (rewritten after every phase)")
  Path json;

  @Option(names = "--bandwidth-mib", defaultValue = "256",
      description = "MiB per buffer of the bandwidth probe (two on a GPU) (default: ${DEFAULT-VALUE})")
  int bandwidthMib;

  @Option(names = "--bandwidth-reps", defaultValue = "5", description = "repetitions of the bandwidth probe (default: ${DEFAULT-VALUE})")
  int bandwidthReps;

  @Option(names = "--load-timed", defaultValue = "100", description = "adapters loaded one by one and timed (default: ${DEFAULT-VALUE})")
  int loadTimed;

  @Option(names = "--loader-threads", defaultValue = "8", description = "threads reading the other adapters (default: ${DEFAULT-VALUE})")
  int loaderThreads;

  @Option(names = "--profile-steps", defaultValue = "16",
      description = "decode steps per profiled batch, CUDA only (0: no profile) (default: ${DEFAULT-VALUE})")
  int profileSteps;

  @Mixin
  WorkloadOptions workloadOptions;

  @Mixin
  EngineOptions engineOptions;

  @Override
  public Integer call() throws IOException, InterruptedException {
    BenchManifest m = BenchManifest.read(manifest);
    if (bandwidthMib < 1 || bandwidthReps < 1 || loadTimed < 0 || loaderThreads < 1 || profileSteps < 0) {
      throw new CliInputException("bandwidth, load and profile options must be positive");
    }
    EngineBench.Settings s = new EngineBench.Settings(workloadOptions.workload(), engineOptions.backend,
        engineOptions.backendConfig(), engineOptions.engineConfig(), (long) bandwidthMib << 20, bandwidthReps,
        loadTimed, loaderThreads, profileSteps);
    SystemResult.runWritingAsItGoes(json, "engine run", progress -> new EngineBench(m, s, System.out, progress).run());
    return 0;
  }
}
