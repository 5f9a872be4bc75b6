package io.lorafleet.runtime.backend;

import io.lorafleet.runtime.errors.InvalidRequestException;
import io.lorafleet.runtime.model.LlamaModel;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Picks a backend by name, or the best available one for {@code auto}. */
public final class Backends {
  private static final Logger log = LoggerFactory.getLogger(Backends.class);

  private Backends() {}

  public static List<BackendProvider> providers() {
    return ServiceLoader.load(BackendProvider.class).stream()
        .map(ServiceLoader.Provider::get)
        .sorted(Comparator.comparingInt(BackendProvider::priority).reversed())
        .toList();
  }

  /**
   * Creates the backend {@code name} ("auto", "cpu", "cuda", ...). {@code auto} takes the highest-priority
   * available provider and logs one line for each better one it skips.
   */
  public static Backend create(String name, LlamaModel model, BackendConfig config) {
    List<BackendProvider> all = providers();
    if (name.equals("auto")) {
      for (BackendProvider p : all) {
        var reason = p.unavailableReason();
        if (reason.isEmpty()) {
          return p.create(model, config);
        }
        log.info("backend {} not available ({}); trying the next one", p.name(), reason.get());
      }
      throw new IllegalStateException("no backend available");
    }
    BackendProvider p = all.stream().filter(x -> x.name().equals(name)).findFirst()
        .orElseThrow(() -> new InvalidRequestException("unknown backend '" + name + "'; available: "
            + all.stream().map(BackendProvider::name).collect(Collectors.joining(", ")) + ", auto"));
    var reason = p.unavailableReason();
    if (reason.isPresent()) {
      throw new InvalidRequestException("backend " + name + " is not available: " + reason.get());
    }
    return p.create(model, config);
  }
}
