package io.lorafleet.tools.gpubench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code lorafleet gpu-bench}: the Java side of {@code ops/gpu/bench}, one subcommand per part of the run.
 */
@Command(name = "gpu-bench", mixinStandardHelpOptions = true,
    description = "LoraFleet on a GPU against HF transformers + PEFT (ops/gpu/bench runs all parts in order).",
    subcommands = {CheckpointCommand.class, EngineBenchCommand.class, HttpBenchCommand.class, ReportCommand.class})
public final class GpuBenchCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }
}
