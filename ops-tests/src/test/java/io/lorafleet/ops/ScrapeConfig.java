package io.lorafleet.ops;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ops/monitoring/prometheus.yml, parsed, with Prometheus' relabelling (replace, keep, drop, labelmap; anchored
 * regular expressions, ";"-joined source labels) to run a job's rules over discovered targets.
 */
record ScrapeConfig(JsonNode root) {

  static ScrapeConfig load() {
    try {
      return new ScrapeConfig(Chart.YAML.readTree(Repo.path("ops/monitoring/prometheus.yml").toFile()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  List<JsonNode> jobs() {
    List<JsonNode> out = new ArrayList<>();
    root.path("scrape_configs").forEach(out::add);
    return out;
  }

  JsonNode job(String name) {
    return jobs().stream().filter(j -> j.path("job_name").asText().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no scrape job " + name));
  }

  /** The labels series get from scraping: job, instance, what relabelling writes and static labels. */
  Set<String> targetLabels() {
    Set<String> labels = new TreeSet<>(List.of("job", "instance"));
    for (JsonNode job : jobs()) {
      for (JsonNode r : job.path("relabel_configs")) {
        String t = r.path("target_label").asText("");
        if (!t.isEmpty() && !t.startsWith("__")) {
          labels.add(t);
        }
      }
      for (JsonNode s : job.path("static_configs")) {
        s.path("labels").fieldNames().forEachRemaining(labels::add);
      }
    }
    return labels;
  }

  /** A label name as Prometheus' service discovery writes it (anything but [a-zA-Z0-9_] becomes _). */
  static String sanitize(String name) {
    return name.replaceAll("[^a-zA-Z0-9_]", "_");
  }

  /**
   * Runs the job's relabel_configs over a discovered target; empty when a rule drops it. Labels starting
   * with "__" are removed at the end except __address__, __metrics_path__ and __scheme__ (the scrape's).
   */
  static Optional<Map<String, String>> relabel(JsonNode job, Map<String, String> discovered) {
    Map<String, String> labels = new LinkedHashMap<>(discovered);
    labels.put("job", job.path("job_name").asText());
    labels.putIfAbsent("__metrics_path__", job.path("metrics_path").asText("/metrics"));
    labels.putIfAbsent("__scheme__", job.path("scheme").asText("http"));
    for (JsonNode rule : job.path("relabel_configs")) {
      String action = rule.path("action").asText("replace");
      Pattern regex = Pattern.compile("^(?:" + rule.path("regex").asText("(.*)") + ")$");
      String separator = rule.path("separator").asText(";");
      List<String> values = new ArrayList<>();
      rule.path("source_labels").forEach(s -> values.add(labels.getOrDefault(s.asText(), "")));
      String joined = String.join(separator, values);
      String replacement = rule.path("replacement").asText("$1");
      switch (action) {
        case "keep" -> {
          if (!regex.matcher(joined).matches()) {
            return Optional.empty();
          }
        }
        case "drop" -> {
          if (regex.matcher(joined).matches()) {
            return Optional.empty();
          }
        }
        case "replace" -> {
          Matcher m = regex.matcher(joined);
          if (m.matches()) {
            String value = m.replaceFirst(replacement);
            String target = rule.path("target_label").asText();
            if (value.isEmpty()) {
              labels.remove(target);
            } else {
              labels.put(target, value);
            }
          }
        }
        case "labelmap" -> {
          for (Map.Entry<String, String> e : new ArrayList<>(labels.entrySet())) {
            Matcher m = regex.matcher(e.getKey());
            if (m.matches()) {
              labels.put(m.replaceFirst(replacement), e.getValue());
            }
          }
        }
        default -> throw new AssertionError("relabel action " + action + " is not modelled here");
      }
    }
    labels.putIfAbsent("instance", labels.get("__address__"));
    labels.keySet().removeIf(k -> k.startsWith("__") && !Set.of("__address__", "__metrics_path__", "__scheme__").contains(k));
    return Optional.of(labels);
  }
}
