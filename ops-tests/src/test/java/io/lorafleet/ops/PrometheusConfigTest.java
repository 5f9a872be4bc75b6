package io.lorafleet.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafleet.ops.Chart.Manifests;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * ops/monitoring/prometheus.yml: it parses, its jobs are the ones the dashboard selects, the Kubernetes job's
 * relabelling keeps exactly the HTTP port of the chart's pods (run over the targets Prometheus' pod discovery
 * makes of a rendered pod), and the static job scrapes the local-3 profile's nodes.
 */
class PrometheusConfigTest {
  private static final String POD_IP = "10.1.2.3";

  @Test
  void parsesWithUniqueJobsTheDashboardSelects() throws IOException {
    ScrapeConfig config = ScrapeConfig.load();
    List<String> jobs = config.jobs().stream().map(j -> j.path("job_name").asText()).toList();
    assertEquals(List.of("lorafleet", "lorafleet-local-3"), jobs);
    JsonNode dashboard = new ObjectMapper().readTree(Repo.path("ops/monitoring/grafana-dashboard.json").toFile());
    JsonNode jobVariable = null;
    for (JsonNode v : dashboard.path("templating").path("list")) {
      if (v.path("name").asText().equals("job")) {
        jobVariable = v;
      }
    }
    assertTrue(jobVariable != null, "the dashboard has a job variable");
    String regex = jobVariable.path("regex").asText().replaceAll("^/|/$", "");
    for (String job : jobs) {
      assertTrue(job.matches(regex), job + " is not selected by the dashboard's job variable " + regex);
      assertTrue(job.matches(jobVariable.path("allValue").asText()), job + " is not in the variable's All value");
    }
    assertTrue(config.root().path("global").path("scrape_interval").isTextual());
  }

  @Test
  void kubernetesJobScrapesTheChartsPodsOnTheirHttpPort() {
    JsonNode job = ScrapeConfig.load().job("lorafleet");
    assertEquals("pod", job.path("kubernetes_sd_configs").get(0).path("role").asText());
    Manifests m = Chart.render("prod", "llm", Map.of());
    List<Map<String, String>> kept = scrape(job, m, "Running");
    assertEquals(1, kept.size(), () -> "one target per pod, got " + kept);
    Map<String, String> t = kept.getFirst();
    int httpPort = port(m, "http");
    assertEquals(POD_IP + ":" + httpPort, t.get("__address__"));
    assertEquals("/metrics", t.get("__metrics_path__"));
    assertEquals("lorafleet", t.get("job"));
    String pod = Manifests.name(m.statefulSet()) + "-0";
    assertEquals(pod, t.get("instance"), "series are named after the pod");
    assertEquals(pod, t.get("pod"));
    assertEquals("llm", t.get("namespace"));
    assertEquals("prod", t.get("release"));

    assertTrue(scrape(job, m, "Pending").isEmpty(), "pods not running yet are not scraped");
    Manifests quiet = Chart.render("prod", "llm", Map.of("prometheus", Map.of("scrape", false)));
    assertTrue(scrape(job, quiet, "Running").isEmpty(), "prometheus.scrape=false turns scraping off");
    Manifests renamed = Chart.render("prod", "llm", Map.of("fullnameOverride", "gpu-fleet"));
    assertEquals(1, scrape(job, renamed, "Running").size(), "the job keys on the chart's name label, not the release's");
  }

  @Test
  void staticJobScrapesTheLocal3Nodes() {
    JsonNode job = ScrapeConfig.load().job("lorafleet-local-3");
    List<String> targets = new ArrayList<>();
    job.path("static_configs").get(0).path("targets").forEach(t -> targets.add(t.asText()));
    // The profile's header lists the nodes' command lines (HTTP ports 8081-8083).
    Matcher ports = Pattern.compile("lorafleet serve .*--port (\\d+)").matcher(Repo.read("cluster-config/local-3.conf"));
    List<String> expected = new ArrayList<>();
    while (ports.find()) {
      expected.add("127.0.0.1:" + ports.group(1));
    }
    assertFalse(expected.isEmpty());
    assertEquals(new TreeSet<>(expected), new TreeSet<>(targets));
    assertEquals("/metrics", job.path("metrics_path").asText());
  }

  /**
   * What role "pod" discovery makes of the StatefulSet's first pod (one target per container port, with
   * the pod's labels and annotations as meta labels), run through the job's relabelling.
   */
  private static List<Map<String, String>> scrape(JsonNode job, Manifests m, String phase) {
    JsonNode template = m.podTemplate();
    JsonNode container = m.container();
    List<Map<String, String>> kept = new ArrayList<>();
    for (JsonNode port : container.path("ports")) {
      Map<String, String> meta = new LinkedHashMap<>();
      meta.put("__address__", POD_IP + ":" + port.path("containerPort").asInt());
      meta.put("__meta_kubernetes_namespace", m.statefulSet().path("metadata").path("namespace").asText());
      meta.put("__meta_kubernetes_pod_name", Manifests.name(m.statefulSet()) + "-0");
      meta.put("__meta_kubernetes_pod_ip", POD_IP);
      meta.put("__meta_kubernetes_pod_node_name", "gpu-node-1");
      meta.put("__meta_kubernetes_pod_phase", phase);
      meta.put("__meta_kubernetes_pod_ready", phase.equals("Running") ? "true" : "false");
      template.path("metadata").path("labels").properties().forEach(e -> {
        meta.put("__meta_kubernetes_pod_label_" + ScrapeConfig.sanitize(e.getKey()), e.getValue().asText());
        meta.put("__meta_kubernetes_pod_labelpresent_" + ScrapeConfig.sanitize(e.getKey()), "true");
      });
      template.path("metadata").path("annotations").properties().forEach(e -> {
        meta.put("__meta_kubernetes_pod_annotation_" + ScrapeConfig.sanitize(e.getKey()), e.getValue().asText());
        meta.put("__meta_kubernetes_pod_annotationpresent_" + ScrapeConfig.sanitize(e.getKey()), "true");
      });
      meta.put("__meta_kubernetes_pod_container_name", container.path("name").asText());
      meta.put("__meta_kubernetes_pod_container_port_name", port.path("name").asText());
      meta.put("__meta_kubernetes_pod_container_port_number", port.path("containerPort").asText());
      meta.put("__meta_kubernetes_pod_container_port_protocol", port.path("protocol").asText());
      Optional<Map<String, String>> t = ScrapeConfig.relabel(job, meta);
      t.ifPresent(kept::add);
    }
    return kept;
  }

  private static int port(Manifests m, String name) {
    for (JsonNode p : m.container().path("ports")) {
      if (p.path("name").asText().equals(name)) {
        return p.path("containerPort").asInt();
      }
    }
    throw new AssertionError("no port " + name);
  }
}
