package io.lorafleet.runtime.cli;

import java.util.List;

/**
 * Adds subcommands to {@code lorafleet} from another module (found with {@link java.util.ServiceLoader}),
 * so that {@code serve} can live with the actors without the runtime depending on them.
 */
public interface CliCommandProvider {
  /** Instances of picocli {@code @Command} classes. */
  List<Object> commands();
}
