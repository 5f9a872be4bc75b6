package io.lorafleet.tools.gpubench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafleet.runtime.cli.LoraFleetCli;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lorafleet gpu-bench} end to end on the CPU backend and the tiny shape, with few requests: generate,
 * the engine part (every figure present and positive), then the report (table, JSON, a PNG that ImageIO
 * reads) with the engine's figures and a peer document.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GpuBenchCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final int ADAPTERS = 6;

  @TempDir
  static Path dir;

  static Path manifest;
  static Path parts;

  @BeforeAll
  static void generate() {
    manifest = dir.resolve("manifest.json");
    parts = dir.resolve("parts");
    int rc = LoraFleetCli.execute("gpu-bench", "checkpoint", "--shape", "tiny", "--adapters", Integer.toString(ADAPTERS),
        "--cache-dir", dir.resolve("checkpoint").toString(), "--manifest", manifest.toString());
    assertEquals(0, rc);
  }

  @Test
  @Order(1)
  void manifestNamesTheModelAndEveryAdapter() throws IOException {
    BenchManifest m = BenchManifest.read(manifest);
    assertEquals("tiny", m.shape());
    assertEquals(ADAPTERS, m.adapters().size());
    assertEquals("BF16", m.adapterDtype());
    assertEquals("lora-05", m.adapters().get(5).name());
    assertTrue(Files.isRegularFile(m.modelPath().resolve("model.safetensors")));
    assertTrue(Files.isRegularFile(m.adapters().get(5).path().resolve("adapter_model.safetensors")));
    JsonNode raw = JSON.readTree(manifest.toFile());
    assertTrue(raw.path("model_dir").isTextual() && raw.path("model_dir").asText().startsWith("/"),
        "paths are plain absolute paths (the Python peer reads them)");
  }

  @Test
  @Order(2)
  void engineFiguresOnTheCpu() throws IOException {
    Path json = parts.resolve("engine.json");
    int rc = LoraFleetCli.execute("gpu-bench", "engine", "--manifest", manifest.toString(), "--json", json.toString(),
        "--backend", "cpu", "--kv-cache-mb", "64", "--max-batch-tokens", "1024",
        "--latency-adapters", "4", "--latency-requests", "6", "--adapter-counts", "1," + ADAPTERS,
        "--sweep-requests", "4", "--concurrency", "4", "--throughput-adapters", Integer.toString(ADAPTERS),
        "--throughput-requests", "8", "--throughput-new-tokens", "4", "--decode-steps", "4",
        "--bandwidth-mib", "16", "--bandwidth-reps", "2", "--load-timed", "3", "--loader-threads", "2");
    assertEquals(0, rc);
    JsonNode r = JSON.readTree(json.toFile());
    assertEquals(new TreeSet<>(Set.of("system", "description", "environment", "workload", "latency", "throughput",
        "decode", "adapter_load", "profile", "notes")), fields(r));
    assertEquals("lorafleet-engine", r.path("system").asText());
    assertTrue(r.path("environment").path("backend").asText().startsWith("cpu"));

    JsonNode latency = r.path("latency");
    assertEquals(3, latency.size(), "1, 4 (the headline) and 6 adapters");
    for (JsonNode l : latency) {
      assertEquals(new TreeSet<>(Set.of("adapters", "requests", "prompt_tokens", "new_tokens", "p50_ms", "p99_ms",
          "mean_ms", "min_ms", "max_ms")), fields(l));
      positive(l, "p50_ms", "p99_ms", "mean_ms", "min_ms", "max_ms");
      assertEquals(70, l.path("prompt_tokens").asInt());
      assertEquals(10, l.path("new_tokens").asInt());
    }
    assertEquals(6, latency.get(1).path("requests").asInt());
    assertEquals(4, latency.get(1).path("adapters").asInt());

    JsonNode t = r.path("throughput");
    positive(t, "tokens_per_s", "seconds", "request_p50_ms");
    assertEquals(8 * 4, t.path("generated_tokens").asLong());
    assertEquals(4, t.path("concurrency").asInt());

    JsonNode d = r.path("decode");
    positive(d, "weight_bytes_per_step", "floor_ms");
    positive(d.path("bandwidth"), "gb_per_s", "bytes");
    assertEquals(2, d.path("steps").size());
    for (JsonNode s : d.path("steps")) {
      positive(s, "median_step_ms", "mean_step_ms", "over_floor", "steps");
    }
    assertEquals(List.of(1, 4), List.of(d.path("steps").get(0).path("batch").asInt(),
        d.path("steps").get(1).path("batch").asInt()));
    assertEquals(4, d.path("steps").get(1).path("adapters").asInt(), "the batch mixes distinct adapters");

    JsonNode load = r.path("adapter_load");
    assertEquals(ADAPTERS, load.path("loaded").asInt());
    assertEquals(3, load.path("timed").asInt());
    positive(load, "disk_to_host_p50_ms", "total_p50_ms", "total_mean_ms", "all_seconds");
    assertTrue(r.path("notes").toString().contains("per-kernel profile"), "the CPU run says why it has no profile");

    SystemResult typed = SystemResult.read(json);
    assertEquals(4, typed.workload().latencyAdapters());
  }

  @Test
  @Order(3)
  void reportPutsThePartsTogether() throws IOException {
    Files.createDirectories(parts);
    Files.writeString(parts.resolve("env.txt"), "gpu: Test GPU\ndriver: 1.0\n");
    PeerScriptTest.samplePeer(parts.resolve("peer.json"));
    Path out = dir.resolve("out");
    assertEquals(0, LoraFleetCli.execute("gpu-bench", "report", "--parts", parts.toString(), "--out", out.toString()));

    BufferedImage png = ImageIO.read(out.resolve(ReportCommand.CHART_FILE).toFile());
    assertNotNull(png, "the chart is a PNG ImageIO reads");
    assertEquals(LatencyChart.WIDTH, png.getWidth());

    JsonNode report = JSON.readTree(out.resolve(ReportCommand.JSON_FILE).toFile());
    assertEquals("Test GPU", report.path("environment").path("gpu").asText());
    JsonNode f = report.path("figures");
    for (String key : List.of("a_latency", "b_throughput_tokens_per_s", "c_decode", "d_latency_vs_adapters",
        "e_adapter_load")) {
      assertTrue(f.has(key), key);
    }
    assertTrue(f.path("a_latency").path("lorafleet_engine").path("p50_ms").asDouble() > 0);
    assertTrue(f.path("a_latency").path("lorafleet_http").isNull(), "the HTTP part did not run here");
    assertTrue(f.path("b_throughput_tokens_per_s").path("engine_over_peft").asDouble() > 0);
    assertTrue(f.path("c_decode").path("lorafleet_engine").path("batch1_over_floor").asDouble() > 0);
    assertTrue(f.path("c_decode").path("engine_floor_ms_with_torch_bandwidth").asDouble() > 0);
    assertTrue(f.path("d_latency_vs_adapters").path("lorafleet_engine").path("ratio").asDouble() > 0);
    assertTrue(f.path("c_decode").path("target_met").has("lorafleet_engine"));
    assertEquals("peft", report.path("systems").path("peft").path("system").asText());
    assertTrue(report.path("systems").path("lorafleet_http").isNull());

    String text = Files.readString(out.resolve(ReportCommand.TEXT_FILE));
    assertTrue(text.contains("(a) p50 latency, 4 adapters"), text);
    assertTrue(text.contains("Test GPU"));
    assertTrue(text.contains("lorafleet_http: no figures"), text);
  }

  private static Set<String> fields(JsonNode n) {
    Set<String> s = new TreeSet<>();
    n.fieldNames().forEachRemaining(s::add);
    return s;
  }

  private static void positive(JsonNode n, String... keys) {
    for (String k : keys) {
      assertTrue(n.path(k).isNumber() && n.path(k).asDouble() > 0, k + " in " + n);
    }
  }
}
