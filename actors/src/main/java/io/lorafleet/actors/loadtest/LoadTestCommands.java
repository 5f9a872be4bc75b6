package io.lorafleet.actors.loadtest;

import io.lorafleet.runtime.cli.CliCommandProvider;
import java.util.List;

/** Adds {@code loadtest}, {@code loadtest-compare} and {@code make-adapters} to the {@code lorafleet} command line. */
public final class LoadTestCommands implements CliCommandProvider {
  @Override
  public List<Object> commands() {
    return List.of(new LoadTestCommand(), new LoadTestCompareCommand(), new MakeAdaptersCommand());
  }
}
