package io.lorafleet.actors.adapters;

import io.lorafleet.runtime.errors.LoraFleetException;
import io.lorafleet.runtime.format.AdapterMetadata;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one-line descriptions of registered adapters, from the {@link AdapterMetadata} file next to a local
 * adapter's files ({@code file:} sources; downloaded adapters have none). Read once per source on this node
 * and remembered; a missing file means no description, a bad one is logged once and ignored: listing
 * adapters never fails because of it.
 */
public final class AdapterDescriptions {
  private static final Logger log = LoggerFactory.getLogger(AdapterDescriptions.class);
  /** Sources remembered at most; past that, lookups read the file again instead of growing the map. */
  static final int MAX_REMEMBERED = 4096;

  private final Map<String, Optional<String>> bySource = new ConcurrentHashMap<>();

  /** Adapter id to description, for the adapters that have one, in the order of {@code adapters}. */
  public Map<String, String> of(Map<String, RegisteredAdapter> adapters) {
    Map<String, String> out = new LinkedHashMap<>();
    adapters.forEach((id, reg) -> description(reg.source()).ifPresent(d -> out.put(id, d)));
    return out;
  }

  /** The description of the adapter whose files come from {@code sourceSpec}, if it has one. */
  public Optional<String> description(String sourceSpec) {
    if (sourceSpec == null || !sourceSpec.startsWith("file:")) {
      return Optional.empty();
    }
    Optional<String> known = bySource.get(sourceSpec);
    if (known != null) {
      return known;
    }
    Optional<String> read = read(Path.of(sourceSpec.substring("file:".length())));
    if (bySource.size() < MAX_REMEMBERED) {
      bySource.put(sourceSpec, read);
    }
    return read;
  }

  private static Optional<String> read(Path dir) {
    try {
      return AdapterMetadata.read(dir).map(AdapterMetadata::description);
    } catch (LoraFleetException | java.nio.file.InvalidPathException e) {
      log.warn("adapter metadata ignored: {}", e.getMessage());
      return Optional.empty();
    }
  }
}
