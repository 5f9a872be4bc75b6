package io.lorafleet.tools.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.lorafleet.actors.node.LoraFleetNode;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.backend.BackendConfig;
import io.lorafleet.runtime.cli.LoraFleetCli;
import io.lorafleet.runtime.engine.EngineConfig;
import io.lorafleet.tools.synthetic.RandomAdapterWriter;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lorafleet loadtest} against a real node on 127.0.0.1:0 serving 20 generated adapters: short runs at
 * a low rate; the assertions are about the report's consistency, never about timings.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LoadTestCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ADAPTERS = 20;

  private Path work;
  private LoraFleetNode node;

  @BeforeAll
  void startNode(@TempDir Path dir) throws IOException {
    work = dir;
    Path adapters = work.resolve("adapters");
    RandomAdapterWriter.like(Fixtures.adapter("adapter-qv-r8")).write(adapters, "adapter-", ADAPTERS, 3);
    Map<String, Object> c = Map.of(
        "lorafleet.http.port", 0,
        "lorafleet.model.dir", Fixtures.model().toString(),
        "lorafleet.model.backend", "cpu",
        "lorafleet.adapters.directory", adapters.toString(),
        "lorafleet.adapters.cache.disk-dir", work.resolve("cache").toString(),
        // fewer device slots than adapters, so that the device tier both hits and misses
        "lorafleet.adapters.cache.device-slots", 4);
    node = LoraFleetNode.start(ConfigFactory.parseMap(c).withFallback(ConfigFactory.load()),
        EngineConfig.DEFAULTS.withKvCacheBytes(64L << 20), new BackendConfig(0, 0));
  }

  @AfterAll
  void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void loraxStreamingRunGivesAConsistentReport() throws IOException {
    Path json = work.resolve("lorax.json");
    Path requests = work.resolve("lorax-requests.jsonl");
    int exit = LoraFleetCli.execute("loadtest", "--url", node.url(), "--adapters", Integer.toString(ADAPTERS),
        "--rate", "8", "--duration", "3", "--warmup", "0.5", "--max-new-tokens", "8", "--prompt-tokens", "6",
        "--seed", "11", "--json", json.toString(), "--requests-out", requests.toString());
    assertEquals(0, exit);
    JsonNode r = JSON.readTree(json.toFile());
    assertDocumentedKeys(r);
    assertConsistent(r, true);
    assertEquals("lorax", r.at("/config/api").asText());
    assertEquals(ADAPTERS, r.at("/config/adapters").asInt());
    JsonNode cache = r.get("cache");
    for (String tier : List.of("device", "cpu", "disk")) {
      JsonNode t = cache.at("/tiers/" + tier);
      assertTrue(t.get("hits").asLong() >= 0 && t.get("misses").asLong() >= 0, t.toString());
      if (!t.get("hit_rate").isNull()) {
        assertBetween01(t.get("hit_rate").asDouble());
      }
    }
    assertTrue(cache.at("/tiers/cpu/hits").asLong() + cache.at("/tiers/cpu/misses").asLong() > 0,
        "the requests touched the CPU tier: " + cache);
    assertNotNull(cache.get("hit_rate"));
    assertBetween01(cache.get("hit_rate").asDouble());
    List<String> lines = Files.readAllLines(requests);
    long measured = lines.stream().map(LoadTestCommandTest::tree).filter(n -> !n.get("warmup").asBoolean()).count();
    assertEquals(r.at("/requests/sent").asLong(), measured, "one line per request");
    Set<String> names = new HashSet<>();
    lines.stream().map(LoadTestCommandTest::tree).forEach(n -> names.add(n.get("adapter").asText()));
    assertTrue(names.stream().allMatch(n -> n.matches("adapter-00[01]\\d")), names.toString());
  }

  @Test
  void openAiRunsStreamedAndNot() throws IOException {
    for (String stream : List.of("--stream", "--no-stream")) {
      Path json = work.resolve("openai" + stream + ".json");
      int exit = LoraFleetCli.execute("loadtest", "--url", node.url(), "--api", "openai", stream,
          "--adapter-prefix", "adapter-", "--adapters", "5", "--rate", "6", "--duration", "2", "--max-new-tokens", "4",
          "--json", json.toString());
      assertEquals(0, exit);
      JsonNode r = JSON.readTree(json.toFile());
      assertDocumentedKeys(r);
      assertConsistent(r, stream.equals("--stream"));
      assertEquals(stream.equals("--stream"), r.at("/config/stream").asBoolean());
    }
  }

  @Test
  void requestsThatCannotConnectAreCountedAsNotStarted() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    Path json = work.resolve("refused.json");
    int exit = LoraFleetCli.execute("loadtest", "--url", "http://127.0.0.1:" + port, "--adapter-prefix", "adapter-",
        "--adapters", "3", "--rate", "20", "--duration", "1", "--timeout", "5", "--json", json.toString());
    assertEquals(1, exit, "no request succeeded");
    JsonNode r = JSON.readTree(json.toFile());
    assertDocumentedKeys(r);
    long sent = r.at("/requests/sent").asLong();
    assertTrue(sent > 0);
    assertEquals(0, r.at("/requests/ok").asLong());
    assertEquals(sent, r.at("/requests/not_started").asLong() + r.at("/requests/failed").asLong());
    assertEquals(r.at("/requests/not_started").asLong(), r.at("/requests/not_started_by_reason/connect_error").asLong());
    assertTrue(r.at("/cache/hit_rate").isNull(), "no /metrics to read");
  }

  @Test
  void refusesMoreAdaptersThanTheServerLists() {
    assertEquals(LoraFleetCli.EXIT_BAD_INPUT, LoraFleetCli.execute("loadtest", "--url", node.url(), "--adapters",
        "21", "--rate", "1", "--duration", "1"));
  }

  private static void assertDocumentedKeys(JsonNode r) {
    assertFields(r, "config", "requests", "elapsed_s", "throughput", "ttft_ms", "e2e_ms", "schedule_lag_ms", "cache",
        "client");
    assertFields(r.get("config"), "url", "api", "stream", "adapters", "rate", "duration_s", "warmup_s", "zipf",
        "prompt_tokens", "max_new_tokens", "seed", "concurrency_limit");
    assertFields(r.get("requests"), "sent", "ok", "failed", "not_started", "failed_by_status", "not_started_by_reason",
        "distinct_adapters");
    assertFields(r.get("throughput"), "offered_requests_per_s", "requests_per_s", "generated_tokens_per_s",
        "generated_tokens", "mean_prompt_tokens");
    for (String l : List.of("ttft_ms", "e2e_ms", "schedule_lag_ms")) {
      assertFields(r.get(l), "count", "p50", "p90", "p99", "max", "mean", "histogram");
    }
    assertFields(r.get("cache"), "hit_rate", "hit_rate_tier", "tiers");
    assertFields(r.get("client"), "cores", "load_average_start", "load_average_end");
  }

  private static void assertFields(JsonNode n, String... names) {
    assertNotNull(n);
    Set<String> have = new HashSet<>();
    n.fieldNames().forEachRemaining(have::add);
    assertEquals(Set.of(names), have, "keys of " + n);
  }

  private static void assertConsistent(JsonNode r, boolean streamed) {
    JsonNode q = r.get("requests");
    long sent = q.get("sent").asLong();
    long ok = q.get("ok").asLong();
    assertEquals(sent, ok + q.get("failed").asLong() + q.get("not_started").asLong(), q.toString());
    assertTrue(ok > 0, q.toString());
    assertEquals(q.get("failed").asLong(), sum(q.get("failed_by_status")));
    assertEquals(q.get("not_started").asLong(), sum(q.get("not_started_by_reason")));
    assertEquals(ok, r.at("/e2e_ms/count").asLong());
    assertOrdered(r.get("e2e_ms"));
    if (streamed) {
      assertEquals(ok, r.at("/ttft_ms/count").asLong());
      assertOrdered(r.get("ttft_ms"));
      // each request's first token comes no later than its last
      assertTrue(r.at("/ttft_ms/p50").asDouble() <= r.at("/e2e_ms/p50").asDouble());
      assertTrue(r.at("/ttft_ms/p99").asDouble() <= r.at("/e2e_ms/p99").asDouble());
    } else {
      assertEquals(0, r.at("/ttft_ms/count").asLong());
      assertTrue(r.at("/ttft_ms/p50").isNull());
    }
    assertEquals(ok * r.at("/config/max_new_tokens").asLong(), r.at("/throughput/generated_tokens").asLong(),
        "every request generates max_new_tokens (end of sequence ignored)");
    assertTrue(r.at("/throughput/requests_per_s").asDouble() > 0);
    assertTrue(r.at("/throughput/mean_prompt_tokens").asDouble() > 0);
  }

  private static void assertOrdered(JsonNode l) {
    double p50 = l.get("p50").asDouble();
    double p90 = l.get("p90").asDouble();
    double p99 = l.get("p99").asDouble();
    double max = l.get("max").asDouble();
    assertTrue(0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= max, l.toString());
  }

  private static void assertBetween01(double v) {
    assertTrue(v >= 0 && v <= 1, "hit rate " + v);
  }

  private static long sum(JsonNode counts) {
    long s = 0;
    for (JsonNode v : counts) {
      s += v.asLong();
    }
    return s;
  }

  private static JsonNode tree(String line) {
    try {
      return JSON.readTree(line);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
