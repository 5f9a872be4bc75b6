package io.lorafleet.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafleet.runtime.cli.LoraFleetCli;
import io.lorafleet.tools.synthetic.SyntheticCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCommandTest {
  private static final List<String> KEYS = List.of("decode_tokens_per_s_batch1", "decode_tokens_per_s_batch32",
      "prefill_tokens_per_s", "mixed32_over_base", "memory_bandwidth_gb_s", "batch1_bandwidth_fraction",
      "prefill_tokens_per_s_70", "gemm_gflops", "gemm_peak_fraction", "decode_tokens_per_s_batch1_lora",
      "memory_bandwidth_median_gb_s", "memory_over_file_plus_kv");

  @Test
  void benchOnTheTinyShapeWritesAllHeadlineKeys(@TempDir Path tmp) throws IOException {
    Path json = tmp.resolve("out").resolve("bench.json");
    int code = LoraFleetCli.execute("bench", "--shape", "tiny", "--adapters", "4", "--decode-tokens", "4",
        "--json", json.toString(), "--cache-dir", tmp.resolve("cache").toString(), "--bandwidth-mib", "64",
        "--bandwidth-reps", "2", "--prefill-tokens", "128", "--kv-cache-mb", "32");
    assertEquals(0, code);
    JsonNode root = new ObjectMapper().readTree(json.toFile());
    for (String key : KEYS) {
      JsonNode v = root.get(key);
      assertTrue(v != null && v.isNumber(), key + " must be a number, got " + v);
      assertTrue(v.asDouble() > 0 && Double.isFinite(v.asDouble()), key + " must be positive, got " + v);
    }
    assertEquals("tiny", root.path("shape").asText());
    assertEquals(4, root.path("adapters").asInt());
    assertEquals(4, root.path("phases").path("mixed32").path("distinct_adapters").asInt());
    assertEquals(32 * 4, root.path("phases").path("batch32").path("decode_tokens").asInt());
    assertEquals(4, root.path("phases").path("batch1").path("decode_tokens").asInt());
    assertEquals(1, root.path("phases").path("batch1-lora").path("distinct_adapters").asInt());
    assertEquals(70, root.path("phases").path("prefill70").path("prompt_tokens").asInt());
    // The probe reads 64 MiB only (the floor), before and after the phases.
    assertEquals(1, root.path("bandwidth").path("before").size());
    assertEquals(2, root.path("bandwidth").path("after").path(0).path("reps_gb_s").size());
    assertEquals(384, root.path("gemm").path("rows").asInt());
    // The constrained batch decodes as many tokens as the base batch; its overhead and one-time costs are there.
    assertEquals(32 * 4, root.path("phases").path("constrained32").path("decode_tokens").asInt());
    assertTrue(root.path("constrained32_step_overhead").isNumber());
    assertTrue(root.path("constrained32_sampling_overhead").isNumber());
    assertTrue(root.path("constrained32_step_cpu_overhead").isNumber());
    assertTrue(root.path("phases").path("constrained32").path("median_decode_sample_ms").asDouble() > 0);
    assertTrue(root.path("constraint").path("allowed_at_start").asInt() > 100, root.path("constraint").toString());
    assertTrue(root.path("constraint").path("first_mask_ms").asDouble() > 0);
    assertTrue(root.path("cpu_model").asText().length() > 0);
    assertTrue(root.path("timestamp").asText().length() > 0);
    assertTrue(Files.isDirectory(tmp.resolve("cache").resolve("tiny-" + SyntheticCheckpoint.VERSION)));
  }

  @Test
  void unknownShapeIsBadInput(@TempDir Path tmp) {
    assertEquals(LoraFleetCli.EXIT_BAD_INPUT, LoraFleetCli.execute("bench", "--shape", "llama-70b",
        "--cache-dir", tmp.toString(), "--json", tmp.resolve("b.json").toString()));
  }
}
