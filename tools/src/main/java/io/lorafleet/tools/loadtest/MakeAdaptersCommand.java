package io.lorafleet.tools.loadtest;

import io.lorafleet.runtime.cli.CliInputException;
import io.lorafleet.tools.synthetic.RandomAdapterWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lorafleet make-adapters}: random-weight copies of a PEFT adapter, for load tests. */
@Command(name = "make-adapters", mixinStandardHelpOptions = true,
    description = "Write N PEFT adapters with random weights shaped like a template adapter "
        + "(OUT/adapter-0000, OUT/adapter-0001, ...).")
public final class MakeAdaptersCommand implements Callable<Integer> {
  @Option(names = "--like", required = true, description = "template PEFT adapter directory")
  Path like;

  @Option(names = "--count", required = true, description = "how many adapters to write")
  int count;

  @Option(names = "--out", required = true, description = "directory to write them into (created if needed)")
  Path out;

  @Option(names = "--seed", defaultValue = "1", description = "random seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--prefix", defaultValue = "adapter-", description = "name prefix (default: ${DEFAULT-VALUE})")
  String prefix;

  @Override
  public Integer call() {
    if (count < 0) {
      throw new CliInputException("--count must be >= 0, got " + count);
    }
    if (!Files.isDirectory(like)) {
      throw new CliInputException("--like " + like + ": directory not found");
    }
    if (prefix.isEmpty() || prefix.contains("/") || prefix.contains("\\") || prefix.startsWith(".")) {
      throw new CliInputException("--prefix must be a plain name start, got '" + prefix + "'");
    }
    long t0 = System.nanoTime();
    List<Path> dirs = RandomAdapterWriter.like(like).write(out, prefix, count, seed);
    System.err.printf("lorafleet make-adapters: wrote %d adapters like %s into %s in %d ms%n", dirs.size(),
        like, out, (System.nanoTime() - t0) / 1_000_000);
    return 0;
  }
}
