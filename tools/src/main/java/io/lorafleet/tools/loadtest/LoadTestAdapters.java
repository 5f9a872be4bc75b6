package io.lorafleet.tools.loadtest;

import io.lorafleet.runtime.cli.CliInputException;
import io.lorafleet.tools.client.GenerationClient;
import io.lorafleet.tools.synthetic.RandomAdapterWriter;
import java.io.IOException;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The adapter ids a load test spreads its requests over, most popular first: {@code prefix + index} when a
 * prefix is given ({@link RandomAdapterWriter#name}), otherwise the first N adapters, by id, of the server's
 * {@code GET /v1/models} (the entries with a parent model).
 */
final class LoadTestAdapters {
  private LoadTestAdapters() {}

  static List<String> resolve(GenerationClient client, LoadTestSettings s) {
    if (s.adapterPrefix() != null) {
      int n = s.adapters();
      return IntStream.range(0, n).mapToObj(i -> RandomAdapterWriter.name(s.adapterPrefix(), i, n)).toList();
    }
    if (s.adapters() != null && s.adapters() == 0) {
      return List.of();
    }
    List<String> listed;
    try {
      listed = client.adapters(s.timeout());
    } catch (IOException e) {
      throw new CliInputException(e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliInputException("interrupted while listing adapters");
    }
    if (s.adapters() == null) {
      return listed;
    }
    if (listed.size() < s.adapters()) {
      throw new CliInputException("the server lists " + listed.size() + " adapters, fewer than --adapters "
          + s.adapters() + " (start it with --adapters DIR holding enough of them, see make-adapters)");
    }
    return List.copyOf(listed.subList(0, s.adapters()));
  }
}
