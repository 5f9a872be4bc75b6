package io.lorafleet.actors.node;

import io.lorafleet.runtime.cli.CliCommandProvider;
import java.util.List;

/** Adds {@code serve} to the {@code lorafleet} command line. */
public final class ServeCommandProvider implements CliCommandProvider {
  @Override
  public List<Object> commands() {
    return List.of(new ServeCommand());
  }
}
