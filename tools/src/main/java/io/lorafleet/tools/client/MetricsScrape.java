package io.lorafleet.tools.client;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The samples of one {@code /metrics} scrape (Prometheus text format), keyed by series as written, e.g.
 * {@code lorafleet_adapter_cache_hits_total{tier="cpu"}}. Comments and malformed lines are skipped.
 */
public record MetricsScrape(Map<String, Double> samples) {
  public static final MetricsScrape EMPTY = new MetricsScrape(Map.of());

  public static MetricsScrape parse(String text) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String raw : text.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int close = line.lastIndexOf('}');
      int split = close >= 0 ? line.indexOf(' ', close) : line.indexOf(' ');
      if (split < 0) {
        continue;
      }
      String[] rest = line.substring(split + 1).strip().split("\\s+");
      try {
        out.put(line.substring(0, split), Double.parseDouble(rest[0]));
      } catch (NumberFormatException e) {
        // not a sample line
      }
    }
    return new MetricsScrape(Map.copyOf(out));
  }

  /** The value of {@code name{label="value"}}, if the scrape has it. */
  public Optional<Double> value(String name, String label, String labelValue) {
    return Optional.ofNullable(samples.get(name + "{" + label + "=\"" + labelValue + "\"}"));
  }

  /** The value of an unlabelled series. */
  public Optional<Double> value(String name) {
    return Optional.ofNullable(samples.get(name));
  }

  public boolean isEmpty() {
    return samples.isEmpty();
  }
}
