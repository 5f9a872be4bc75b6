package io.lorafleet.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafleet.runtime.cli.LoraFleetCli;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lorafleet bench-prefix} on the tiny shape: the report's figures and what the engine computed. */
class PrefixCacheBenchCommandTest {
  @Test
  void tinyShapeReportsColdAndCachedTimesAndTheTokensSkipped(@TempDir Path tmp) throws IOException {
    Path json = tmp.resolve("prefix.json");
    int code = LoraFleetCli.execute("bench-prefix", "--shape", "tiny", "--prefix-tokens", "200", "--question-tokens",
        "8", "--reps", "2", "--json", json.toString(), "--cache-dir", tmp.resolve("cache").toString(),
        "--kv-cache-mb", "32");
    assertEquals(0, code);
    JsonNode root = new ObjectMapper().readTree(json.toFile());
    assertEquals(2, root.path("models").size());
    for (JsonNode m : root.path("models")) {
      assertEquals(209, m.path("prompt_tokens").asInt());
      assertEquals(209, m.path("computed_tokens_cold").asInt(), m.toString());
      // The 12 full blocks of 16 that lie inside BOS + prefix (201 tokens) come from the cache; the 13th holds
      // the first question's tokens, so it and the rest are computed.
      assertEquals(192, m.path("hit_tokens_cached").asInt(), m.toString());
      assertEquals(17, m.path("computed_tokens_cached").asInt(), m.toString());
      assertTrue(m.path("cold_ttft_ms_median").asDouble() > 0 && m.path("cached_ttft_ms_median").asDouble() > 0);
      assertEquals(2, m.path("cold_ttft_ms").size());
    }
    assertTrue(root.path("load_average_before").isNumber());
  }

  @Test
  void turningTheCacheOffIsBadInput(@TempDir Path tmp) {
    assertEquals(LoraFleetCli.EXIT_BAD_INPUT, LoraFleetCli.execute("bench-prefix", "--shape", "tiny",
        "--no-prefix-caching", "--cache-dir", tmp.toString(), "--json", tmp.resolve("b.json").toString()));
  }
}
