package io.lorafleet.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** ops/helm/lorafleet through Helm's own engine (helm-java): lint, and template into parsed objects. */
final class Chart {
  static final YAMLMapper YAML = new YAMLMapper();

  private Chart() {}

  static Path dir() {
    return Repo.path("ops/helm/lorafleet");
  }

  static LintResult lint() {
    return new Helm(dir()).lint().strict().call();
  }

  /** {@code helm template RELEASE ops/helm/lorafleet --namespace NS -f values}, parsed. */
  static Manifests render(String release, String namespace, Map<String, Object> values) {
    try {
      Path valuesFile = Files.createTempFile("lorafleet-values", ".yaml");
      try {
        YAML.writeValue(valuesFile.toFile(), values);
        String out = new Helm(dir()).template().withName(release).withNamespace(namespace)
            .withValuesFile(valuesFile).call();
        return Manifests.parse(out);
      } finally {
        Files.deleteIfExists(valuesFile);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The objects of a rendered chart. */
  record Manifests(List<JsonNode> objects, String text) {
    static Manifests parse(String yaml) throws IOException {
      List<JsonNode> objects = new ArrayList<>();
      try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
        while (it.hasNext()) {
          JsonNode n = it.next();
          if (n != null && !n.isNull() && !n.isEmpty()) {
            objects.add(n);
          }
        }
      }
      return new Manifests(List.copyOf(objects), yaml);
    }

    List<JsonNode> all(String kind) {
      return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
    }

    Optional<JsonNode> find(String kind) {
      List<JsonNode> a = all(kind);
      if (a.size() > 1) {
        throw new AssertionError("more than one " + kind + ": " + a.stream().map(Manifests::name).toList());
      }
      return a.stream().findFirst();
    }

    JsonNode one(String kind) {
      return find(kind).orElseThrow(() -> new AssertionError("no " + kind + " rendered"));
    }

    JsonNode named(String kind, String name) {
      return all(kind).stream().filter(o -> name.equals(name(o))).findFirst()
          .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " rendered"));
    }

    static String name(JsonNode o) {
      return o.path("metadata").path("name").asText();
    }

    JsonNode statefulSet() {
      return one("StatefulSet");
    }

    JsonNode podTemplate() {
      return statefulSet().path("spec").path("template");
    }

    JsonNode container() {
      JsonNode containers = podTemplate().path("spec").path("containers");
      if (containers.size() != 1) {
        throw new AssertionError("expected one container, got " + containers.size());
      }
      return containers.get(0);
    }
  }
}
