package io.lorafleet.actors.simulation;

import io.lorafleet.runtime.cli.CliCommandProvider;
import java.util.List;

/** Adds {@code simulate} to the {@code lorafleet} command line. */
public final class SimulateCommandProvider implements CliCommandProvider {
  @Override
  public List<Object> commands() {
    return List.of(new SimulateCommand());
  }
}
