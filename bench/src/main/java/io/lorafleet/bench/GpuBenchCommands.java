package io.lorafleet.bench;

import io.lorafleet.runtime.cli.CliCommandProvider;
import java.util.List;

/** Adds {@code gpu-bench} to the {@code lorafleet} command. */
public final class GpuBenchCommands implements CliCommandProvider {
  @Override
  public List<Object> commands() {
    return List.of(new GpuBenchCommand());
  }
}
