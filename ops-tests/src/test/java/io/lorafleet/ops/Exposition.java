package io.lorafleet.ops;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A /metrics scrape in the Prometheus text format: the sample names with the label names each carries,
 * and the family types of the # TYPE lines.
 */
record Exposition(Map<String, Set<String>> samples, Map<String, String> types) {
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\"");
  private static final List<String> SUFFIXES = List.of("_total", "_created", "_bucket", "_count", "_sum");

  static Exposition parse(String text) {
    Map<String, Set<String>> samples = new LinkedHashMap<>();
    Map<String, String> types = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("# TYPE ")) {
        String[] p = line.split(" ");
        types.put(p[2], p[3]);
      } else if (!line.isBlank() && !line.startsWith("#")) {
        int brace = line.indexOf('{');
        int space = line.indexOf(' ');
        String name = line.substring(0, brace >= 0 && brace < space ? brace : space);
        Set<String> labels = samples.computeIfAbsent(name, k -> new TreeSet<>());
        if (brace >= 0 && brace < space) {
          Matcher m = LABEL.matcher(line.substring(brace, line.lastIndexOf('}') + 1));
          while (m.find()) {
            labels.add(m.group(1));
          }
        }
      }
    }
    return new Exposition(samples, types);
  }

  boolean has(String sample) {
    return samples.containsKey(sample);
  }

  Set<String> labels(String sample) {
    return samples.getOrDefault(sample, Set.of());
  }

  /** The type of the family a sample belongs to: x_total of counter x, x_bucket of histogram x, ... */
  String type(String sample) {
    if (types.containsKey(sample)) {
      return types.get(sample);
    }
    for (String suffix : SUFFIXES) {
      if (sample.endsWith(suffix)) {
        String family = sample.substring(0, sample.length() - suffix.length());
        if (types.containsKey(family)) {
          return types.get(family);
        }
      }
    }
    return "untyped";
  }

  /** Whether rate()/increase() make sense on it: a counter's _total, a histogram's or summary's _bucket/_count/_sum. */
  boolean monotonic(String sample) {
    return switch (type(sample)) {
      case "counter" -> sample.endsWith("_total");
      case "histogram" -> sample.endsWith("_bucket") || sample.endsWith("_count") || sample.endsWith("_sum");
      case "summary" -> sample.endsWith("_count") || sample.endsWith("_sum");
      default -> false;
    };
  }
}
