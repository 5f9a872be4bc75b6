package io.lorafleet.multinode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The cluster supervisor with the local-process provisioner: a one-node fleet under load grows by a node
 * it starts itself, and shrinks back (drain, leave, process exit) when the load is gone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 300)
class SupervisorScalingTest {
  private Fleet fleet;
  private NodeProcess n1;

  @BeforeAll
  void start() {
    fleet = new Fleet("scaling", """
        lorafleet.cluster.supervisor {
          provisioner = local-process
          scaling {
            out-pressure = 0.75
            in-pressure = 0.1
            sustain = 2s
            cool-down = 5s
            min-nodes = 1
            max-nodes = 2
          }
          local-process {
            jvm-options = ["-Xmx384m", "-XX:+UseSerialGC"]
            serve-args = ["--backend", "cpu", "--threads", "1", "--kv-cache-mb", "16", "--max-num-seqs", "4"]
            log-dir = "${logs}"
          }
        }
        """);
    n1 = fleet.start("node1", "--max-num-seqs", "4");
  }

  @AfterAll
  void stop() {
    fleet.close();
  }

  private static int serving(JsonNode v) {
    int n = 0;
    if (v != null) {
      for (JsonNode e : v.get("nodes")) {
        n += e.get("accepting").asBoolean() ? 1 : 0;
      }
    }
    return n;
  }

  @Test
  void scalesOutUnderLoadAndBackInWhenItFalls() throws Exception {
    fleet.run(() -> {
      fleet.awaitHealthy(n1, Duration.ofSeconds(150));
      Fleet.await(Duration.ofSeconds(60), "node1 announced", () -> serving(fleet.cluster(n1)) == 1);
      LoadGenerator load = new LoadGenerator(10, () -> n1, LoadGenerator.anyCase(), 0, 16);
      long t0 = System.nanoTime();
      try {
        Fleet.await(Duration.ofSeconds(150), "a second node started by the supervisor serves", () -> {
          JsonNode v = fleet.cluster(n1);
          if (v == null || serving(v) < 2) {
            return false;
          }
          for (JsonNode e : v.get("nodes")) {
            if (!e.get("node").asText().equals(n1.address()) && e.get("load").get("served_requests").asLong() > 0) {
              return true;
            }
          }
          return false;
        });
        log("scale-out: a second node joined and served %d ms after the load began", (System.nanoTime() - t0) / 1_000_000);
        assertEquals(1, n1.children().size(), "the provisioner started one node JVM");
        JsonNode sup = fleet.cluster(n1).get("supervisor");
        assertEquals("local-process", sup.get("provisioner").asText());
        assertTrue(sup.get("decisions").toString().contains("scale-out"), sup.toString());
      } finally {
        List<LoadGenerator.Outcome> outcomes = load.stop();
        Map<LoadGenerator.Kind, Integer> counts = LoadGenerator.count(outcomes);
        log("scaling load: %s", counts);
        assertEquals(0, counts.getOrDefault(LoadGenerator.Kind.MISMATCH, 0),
            LoadGenerator.describe(outcomes, LoadGenerator.Kind.MISMATCH));
        assertEquals(0, counts.getOrDefault(LoadGenerator.Kind.LOST, 0),
            LoadGenerator.describe(outcomes, LoadGenerator.Kind.LOST));
        assertEquals(0, counts.getOrDefault(LoadGenerator.Kind.ERROR, 0),
            LoadGenerator.describe(outcomes, LoadGenerator.Kind.ERROR));
      }
      long t1 = System.nanoTime();
      Fleet.await(Duration.ofSeconds(120), "back to one node, the started JVM gone", () -> {
        JsonNode v = fleet.cluster(n1);
        return v != null && v.get("members").size() == 1 && n1.children().isEmpty();
      });
      log("scale-in: back to one node %d ms after the load stopped", (System.nanoTime() - t1) / 1_000_000);
      JsonNode sup = fleet.cluster(n1).get("supervisor");
      assertTrue(sup.get("decisions").toString().contains("scale-in"), sup.toString());
    });
  }

  private static void log(String what, Object... args) {
    System.out.printf("[scaling] " + what + "%n", args);
  }
}
