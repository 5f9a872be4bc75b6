package io.lorafleet.runtime.cli;

import io.lorafleet.runtime.errors.LoraFleetException;
import io.lorafleet.runtime.tokenizer.TokenizerException;
import java.nio.file.Path;
import java.util.ServiceLoader;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code lorafleet} command. */
@Command(name = "lorafleet", mixinStandardHelpOptions = true, version = "LoraFleet 0.1.0",
    description = "Serve one Llama-family base model with many LoRA adapters.",
    subcommands = {GenerateTextCommand.class})
public final class LoraFleetCli implements Runnable {
  /** Exit code for bad input (files, arguments, request lines). */
  public static final int EXIT_BAD_INPUT = 2;
  /** Exit code of {@code generate --requests} when some requests failed after they were accepted (their lines say why). */
  public static final int EXIT_FAILED_REQUESTS = 3;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the CLI and returns its exit code (for tests). */
  public static int execute(String... args) {
    CommandLine cli = commandLine();
    return cli.execute(args);
  }

  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new LoraFleetCli());
    for (CliCommandProvider p : ServiceLoader.load(CliCommandProvider.class)) {
      for (Object command : p.commands()) {
        cli.addSubcommand(command);
      }
    }
    cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      if (ex instanceof LoraFleetException || ex instanceof TokenizerException || ex instanceof CliInputException) {
        commandLine.getErr().println("lorafleet " + commandLine.getCommandName() + ": " + ex.getMessage());
        return EXIT_BAD_INPUT;
      }
      throw ex;
    });
    return cli;
  }

  /**
   * The bundled demo model ({@code models/demo/lorafleet-demo} in the LoraFleet directory): a small trained Llama,
   * served when no {@code --model} is given (see {@code ops/demo-model}). The random-weight parity fixtures
   * ({@code fixtures/}) are only served when named.
   */
  public static Path bundledModel() {
    return home().resolve("models").resolve("demo").resolve("lorafleet-demo");
  }

  /** The bundled demo model's task adapters ({@code models/demo/adapters}). */
  public static Path bundledAdapters() {
    return home().resolve("models").resolve("demo").resolve("adapters");
  }

  private static Path home() {
    String h = System.getProperty("lorafleet.home");
    return (h != null ? Path.of(h) : Path.of("")).toAbsolutePath().normalize();
  }
}
