package io.lorafleet.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.lorafleet.actors.node.LoraFleetNode;
import io.lorafleet.runtime.backend.BackendConfig;
import io.lorafleet.runtime.engine.EngineConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * ops/monitoring/grafana-dashboard.json against the metrics a real node exports: a node (fixture model and
 * adapters, CPU backend) is started in this JVM and given traffic that makes every series appear (adapter
 * loads, hits and evictions, a supervisor decision); its /metrics is scraped, and every metric, matcher
 * label and grouping label of every PromQL expression of the dashboard (panels and variables) must exist
 * there, be used as its type allows (rate and increase on counters and histogram series only, quantiles
 * over _bucket series grouped by le), or be a label Prometheus adds (ops/monitoring/prometheus.yml).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardMetricsTest {
  private static final String TOKEN = "ops-test-admin-token-0123456789";
  /** What the dashboard must chart (issue 7): one family per line of its panel list. */
  private static final List<String> REQUIRED = List.of("lorafleet_http_requests_total",
      "lorafleet_time_to_first_token_seconds_bucket", "lorafleet_inter_token_latency_seconds_bucket",
      "lorafleet_request_duration_seconds_bucket", "lorafleet_queue_depth", "lorafleet_running_sequences",
      "lorafleet_generated_tokens_total", "lorafleet_kv_blocks_used", "lorafleet_kv_blocks_total",
      "lorafleet_adapter_cache_hits_total", "lorafleet_adapter_cache_misses_total",
      "lorafleet_adapter_cache_loads_total", "lorafleet_adapter_cache_evictions_total",
      "lorafleet_adapter_cache_bytes", "lorafleet_cluster_nodes", "lorafleet_supervisor_decisions_total",
      "lorafleet_routed_requests_total");
  /** Series Prometheus makes itself. */
  private static final Set<String> SYNTHETIC = Set.of("up");
  private static final Set<String> RATES = Set.of("rate", "irate", "increase");

  private LoraFleetNode node;
  private HttpClient http;
  private Exposition exported;
  private JsonNode dashboard;

  @BeforeAll
  void startNodeAndScrape() throws Exception {
    Path work = Repo.scratch("dashboard-node");
    Path token = work.resolve("admin-token");
    Files.writeString(token, TOKEN + "\n");
    Path fixtures = Repo.path("fixtures");
    Map<String, Object> c = new HashMap<>();
    c.put("lorafleet.http.port", 0);
    c.put("lorafleet.model.dir", fixtures.resolve("model").toString());
    c.put("lorafleet.model.backend", "cpu");
    c.put("lorafleet.adapters.directory", fixtures.resolve("adapters").toString());
    c.put("lorafleet.adapters.cache.disk-dir", work.resolve("cache").toString());
    // Two device slots and four adapters: loads, hits and evictions all happen.
    c.put("lorafleet.adapters.cache.device-slots", 2);
    c.put("lorafleet.admin.token-file", token.toString());
    c.put("lorafleet.cluster.supervisor.tick", "200ms");
    node = LoraFleetNode.start(ConfigFactory.parseMap(c).withFallback(ConfigFactory.load()),
        EngineConfig.DEFAULTS.withKvCacheBytes(32L << 20), new BackendConfig(0, 0));
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    List<String> adapters;
    try (Stream<Path> s = Files.list(fixtures.resolve("adapters"))) {
      adapters = s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().limit(4).toList();
    }
    assertEquals(4, adapters.size());
    for (int round = 0; round < 2; round++) {
      for (String adapter : adapters) {
        HttpResponse<String> r = post("/generate", """
            {"inputs": "The quick brown fox", "parameters": {"max_new_tokens": 3, "adapter_id": "%s"}}""".formatted(adapter));
        assertEquals(200, r.statusCode(), r::body);
      }
    }
    assertEquals(200, get("/health").statusCode());
    HttpResponse<String> rebalance = post("/admin/rebalance", "{}");
    assertEquals(200, rebalance.statusCode(), rebalance::body);

    // The supervisor publishes the node counts on its ticks; wait for every series the traffic makes.
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    do {
      exported = Exposition.parse(get("/metrics").body());
      if (REQUIRED.stream().allMatch(exported::has)) {
        break;
      }
      Thread.sleep(200);
    } while (System.nanoTime() < deadline);
    dashboard = new ObjectMapper().readTree(Repo.path("ops/monitoring/grafana-dashboard.json").toFile());
  }

  @AfterAll
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(node.url() + path)).timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(node.url() + path)).timeout(Duration.ofSeconds(120))
        .header("Content-Type", "application/json").header("Authorization", "Bearer " + TOKEN)
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theNodeExportsWhatTheDashboardNeeds() {
    List<String> missing = REQUIRED.stream().filter(m -> !exported.has(m)).toList();
    assertTrue(missing.isEmpty(), () -> "not exported after the traffic: " + missing + "; exported: " + exported.samples().keySet());
  }

  @Test
  void everyPanelQueryReferencesExportedMetricsAndLabels() {
    Set<String> targetLabels = ScrapeConfig.load().targetLabels();
    List<String> problems = new ArrayList<>();
    Set<String> charted = new TreeSet<>();
    List<Query> queries = queries();
    assertTrue(queries.size() >= 20, "the dashboard's queries: " + queries.size());
    for (Query q : queries) {
      PromQl.Parsed p;
      try {
        p = PromQl.parse(q.expr());
      } catch (IllegalArgumentException e) {
        problems.add(q.where() + ": " + e.getMessage());
        continue;
      }
      if (p.selectors().isEmpty()) {
        problems.add(q.where() + ": no metric in " + q.expr());
      }
      Set<String> exprLabels = new HashSet<>(targetLabels);
      boolean buckets = false;
      for (PromQl.Selector s : p.selectors()) {
        charted.add(s.metric());
        if (SYNTHETIC.contains(s.metric())) {
          continue;
        }
        if (!exported.has(s.metric())) {
          problems.add(q.where() + ": " + s.metric() + " is not exported by a node");
          continue;
        }
        Set<String> labels = exported.labels(s.metric());
        exprLabels.addAll(labels);
        for (String l : s.matcherLabels()) {
          if (!labels.contains(l) && !targetLabels.contains(l)) {
            problems.add(q.where() + ": " + s.metric() + " has no label " + l + " (it has " + labels + ", Prometheus adds " + targetLabels + ")");
          }
        }
        String innermost = s.enclosing().isEmpty() ? "" : s.enclosing().getLast();
        if (RATES.contains(innermost) && !exported.monotonic(s.metric())) {
          problems.add(q.where() + ": " + innermost + "() over " + s.metric() + ", a " + exported.type(s.metric()));
        }
        if (!RATES.contains(innermost) && exported.monotonic(s.metric()) && !q.isVariable()) {
          problems.add(q.where() + ": " + s.metric() + " is a counter: chart its rate or increase");
        }
        if (s.metric().endsWith("_bucket")) {
          buckets = true;
          if (!s.enclosing().contains("histogram_quantile")) {
            problems.add(q.where() + ": " + s.metric() + " outside histogram_quantile");
          }
        }
      }
      if (buckets) {
        exprLabels.add("le");
        boolean le = p.groupings().stream().anyMatch(g -> g.enclosing().contains("histogram_quantile")
            && g.keyword().equals("by") && g.labels().contains("le"));
        if (!le) {
          problems.add(q.where() + ": histogram_quantile without grouping by le");
        }
      }
      for (PromQl.Grouping g : p.groupings()) {
        for (String l : g.labels()) {
          if (!exprLabels.contains(l)) {
            problems.add(q.where() + ": " + g.keyword() + " (" + l + "): no series of the expression has it");
          }
        }
      }
      if (q.label() != null && !exprLabels.contains(q.label())) {
        problems.add(q.where() + ": label_values of " + q.label() + ", which its series lack");
      }
    }
    assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
    List<String> uncharted = REQUIRED.stream().filter(m -> !charted.contains(m)).toList();
    assertTrue(uncharted.isEmpty(), () -> "no panel charts " + uncharted);
  }

  @Test
  void dashboardIsWellFormed() {
    assertEquals("lorafleet-fleet", dashboard.path("uid").asText());
    assertFalse(dashboard.path("title").asText().isEmpty());
    assertTrue(dashboard.path("schemaVersion").asInt() >= 36);
    Set<Integer> ids = new HashSet<>();
    List<JsonNode> panels = panels();
    for (JsonNode p : panels) {
      assertTrue(ids.add(p.path("id").asInt()), () -> "duplicate panel id " + p.path("id"));
      JsonNode g = p.path("gridPos");
      assertTrue(g.path("w").asInt() > 0 && g.path("x").asInt() + g.path("w").asInt() <= 24, () -> "grid of " + p.path("title"));
      if (!p.path("type").asText().equals("row")) {
        assertFalse(p.path("targets").isEmpty(), () -> p.path("title") + " has no query");
        assertEquals("${datasource}", p.path("datasource").path("uid").asText(), () -> p.path("title") + "'s data source");
        Set<String> refs = new HashSet<>();
        p.path("targets").forEach(t -> assertTrue(refs.add(t.path("refId").asText()), () -> "refIds of " + p.path("title")));
      }
    }
    Map<String, JsonNode> vars = new LinkedHashMap<>();
    dashboard.path("templating").path("list").forEach(v -> vars.put(v.path("name").asText(), v));
    assertEquals(List.of("datasource", "job", "instance"), List.copyOf(vars.keySet()));
    assertEquals("prometheus", vars.get("datasource").path("query").asText());
  }

  /** A PromQL expression of the dashboard; for a label_values() variable, the label it lists. */
  private record Query(String where, String expr, String label) {
    boolean isVariable() {
      return where.startsWith("variable");
    }
  }

  private List<Query> queries() {
    List<Query> out = new ArrayList<>();
    for (JsonNode p : panels()) {
      for (JsonNode t : p.path("targets")) {
        out.add(new Query("panel \"" + p.path("title").asText() + "\" " + t.path("refId").asText(), t.path("expr").asText(), null));
      }
    }
    Pattern labelValues = Pattern.compile("label_values\\((.+),\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\)");
    for (JsonNode v : dashboard.path("templating").path("list")) {
      if (!v.path("type").asText().equals("query")) {
        continue;
      }
      JsonNode q = v.path("query");
      String text = q.isObject() ? q.path("query").asText() : q.asText();
      Matcher m = labelValues.matcher(text);
      assertTrue(m.matches(), () -> "variable " + v.path("name") + ": only label_values(series, label) is checked: " + text);
      out.add(new Query("variable " + v.path("name").asText(), m.group(1), m.group(2)));
    }
    return out;
  }

  private List<JsonNode> panels() {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode p : dashboard.path("panels")) {
      out.add(p);
      p.path("panels").forEach(out::add); // panels of collapsed rows
    }
    return out;
  }
}
