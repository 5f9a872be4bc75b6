package io.lorafleet.tools.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.cli.LoraFleetCli;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lorafleet loadtest-priority} end to end with a node it starts itself on the fixture model: a short run
 * of all three phases; the assertions are about the report's shape and the work done, never about timings.
 */
class PriorityLoadTestCommandTest {
  @Test
  void shortRunReportsEveryPhaseAndTheBatchClientGetsWorkDone(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("priority.json");
    int exit = LoraFleetCli.execute("loadtest-priority", "--model", Fixtures.model().toString(), "--max-num-seqs", "4",
        "--interactive-rate", "4", "--interactive-tokens", "4", "--batch-concurrency", "12", "--batch-tokens", "8",
        "--duration", "2", "--warmup", "0.5", "--json", json.toString());
    assertEquals(0, exit);
    JsonNode r = new ObjectMapper().readTree(json.toFile());
    JsonNode phases = r.get("phases");
    assertEquals(List.of("alone", "flood", "flood-no-classes"),
        List.of(phases.get(0).get("name").asText(), phases.get(1).get("name").asText(), phases.get(2).get("name").asText()));
    for (JsonNode p : phases) {
      assertTrue(p.get("interactiveOk").asLong() > 0, p.toString());
      assertEquals(p.get("interactiveOk").asLong(), p.at("/interactiveTtftMs/count").asLong(), p.toString());
    }
    assertEquals("interactive", phases.get(1).get("interactivePriority").asText());
    assertEquals("batch", phases.get(1).get("batchPriority").asText());
    assertTrue(phases.get(2).get("batchPriority").isNull());
    assertTrue(phases.get(1).get("batchCompleted").asLong() > 0, phases.get(1).toString());
    // The node counted the classes: interactive and batch admissions in the flood, standard only without classes.
    assertTrue(phases.get(1).at("/nodeMetrics/admitted_requests.interactive").asDouble() > 0, phases.get(1).toString());
    assertTrue(phases.get(1).at("/nodeMetrics/admitted_requests.batch").asDouble() > 0, phases.get(1).toString());
    assertEquals(0, phases.get(2).at("/nodeMetrics/admitted_requests.interactive").asDouble(), phases.get(2).toString());
    assertTrue(r.at("/targets/flood/ttft_p99_ratio").isNumber());
    assertTrue(r.at("/targets/flood/batch_completed_met").asBoolean());
  }
}
