package io.lorafleet.multinode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * A fleet in the middle of a rolling upgrade: nodes that write the previous protocol version
 * ({@code lorafleet.cluster.protocol-version = 1}, what a node of the previous release sends) serve together
 * with nodes that write the current one. Each node sees the other's announcements with the version it writes;
 * requests relayed either way, registry updates and supervisor commands through either kind of node all work,
 * and every output equals the reference.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 240)
class MixedVersionFleetTest {
  private Fleet fleet;
  private NodeProcess current1;
  private NodeProcess previous2;
  private NodeProcess current3;

  @BeforeAll
  void start() throws IOException {
    // What this test is about is the protocol, not failure detection: on a shared, overloaded machine a JVM can
    // pause for seconds, so heartbeats may lag longer than local-3.conf tolerates before it downs a node.
    fleet = new Fleet("mixed-version", """
        pekko.cluster.failure-detector.acceptable-heartbeat-pause = 20s
        pekko.cluster.split-brain-resolver.stable-after = 20s
        """);
    Path previous = fleet.profile().resolveSibling("cluster-previous-protocol.conf");
    Files.writeString(previous, "include file(\"" + fleet.profile() + "\")\nlorafleet.cluster.protocol-version = 1\n");
    current1 = fleet.start("current1");
    previous2 = fleet.start("previous2", previous);
    current3 = fleet.start("current3");
  }

  @AfterAll
  void stop() {
    fleet.close();
  }

  private static void assertAllServed(List<LoadGenerator.Outcome> outcomes, String step) {
    Map<LoadGenerator.Kind, Integer> counts = LoadGenerator.count(outcomes);
    System.out.printf("[mixed-version] %s: %s%n", step, counts);
    assertTrue(outcomes.size() > 0, step + ": no request completed");
    assertEquals(Map.of(LoadGenerator.Kind.OK, outcomes.size()), counts, step + ": "
        + LoadGenerator.describe(outcomes, LoadGenerator.Kind.MISMATCH)
        + LoadGenerator.describe(outcomes, LoadGenerator.Kind.ERROR)
        + LoadGenerator.describe(outcomes, LoadGenerator.Kind.LOST));
  }

  private static long routedRemote(String metrics) {
    return metrics.lines().filter(l -> l.startsWith("lorafleet_routed_requests_total{target=\"remote\"} "))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  @Test
  @Order(1)
  void nodesOfBothVersionsFormOneClusterAndSeeEachOthersVersion() throws Exception {
    fleet.run(() -> {
      for (NodeProcess n : List.of(current1, previous2, current3)) {
        fleet.awaitHealthy(n, Duration.ofSeconds(150));
      }
      for (NodeProcess viewer : List.of(current1, previous2)) {
        Fleet.await(Duration.ofSeconds(60), "3 members up and announced, seen from " + viewer.name,
            () -> {
              JsonNode v = fleet.cluster(viewer);
              return v != null && Fleet.upMembers(v) == 3 && v.get("nodes").size() == 3;
            }, () -> fleet.cluster(viewer));
        JsonNode v = fleet.cluster(viewer);
        assertEquals(2, Fleet.nodeEntry(v, current1).get("protocol_version").asInt(), v.toString());
        assertEquals(1, Fleet.nodeEntry(v, previous2).get("protocol_version").asInt(), v.toString());
        assertEquals(2, Fleet.nodeEntry(v, current3).get("protocol_version").asInt(), v.toString());
      }
    });
  }

  @Test
  @Order(2)
  void requestsRelayedBetweenVersionsEqualTheReference() throws Exception {
    fleet.run(() -> {
      LoadGenerator client = new LoadGenerator(0, null, null, 0, 24);
      List<LoadGenerator.Outcome> outcomes = new ArrayList<>();
      List<NodeProcess> via = List.of(current1, previous2, current3);
      for (int round = 0; round < 2; round++) {
        int i = 0;
        for (Reference.Case c : Reference.CASES) {
          outcomes.add(client.request(via.get((i + round) % via.size()), c, (i + round) % 2 == 0));
          i++;
        }
      }
      assertAllServed(outcomes, "every adapter through nodes of both versions, streamed and not");
      // Relayed both ways: from the previous-version node to current ones, and from current ones to it.
      long fromPrevious = routedRemote(fleet.get(previous2, "/metrics").body());
      long fromCurrent = routedRemote(fleet.get(current1, "/metrics").body())
          + routedRemote(fleet.get(current3, "/metrics").body());
      System.out.printf("[mixed-version] relayed by the previous-version node: %d, by the current ones: %d%n",
          fromPrevious, fromCurrent);
      assertTrue(fromPrevious > 0 && fromCurrent > 0, "requests relayed both ways: " + fromPrevious + ", "
          + fromCurrent);
      int serving = 0;
      for (JsonNode n : fleet.cluster(current1).get("nodes")) {
        serving += n.get("load").get("served_requests").asLong() > 0 ? 1 : 0;
      }
      assertTrue(serving >= 2, "requests served on nodes of both versions: " + fleet.cluster(current1));
    });
  }

  @Test
  @Order(3)
  void registryUpdatesCrossVersions() throws Exception {
    fleet.run(() -> {
      String source = Fleet.fixtures().resolve("adapters").resolve("adapter-qv-r8").toString();
      HttpResponse<String> created = fleet.post(previous2, "/admin/adapters",
          "{\"id\": \"rolled-qv\", \"source\": " + Fleet.JSON.writeValueAsString(source) + "}");
      assertEquals(201, created.statusCode(), created.body());
      HttpResponse<String> pinned = fleet.post(current1, "/admin/adapters/rolled-qv/pin", "");
      assertEquals(200, pinned.statusCode(), pinned.body());
      assertTrue(Fleet.JSON.readTree(pinned.body()).get("pinned").asBoolean(), pinned.body());
      for (NodeProcess n : List.of(current3, previous2)) {
        Fleet.await(Duration.ofSeconds(15), "rolled-qv registered and pinned as seen from " + n.name, () -> {
          try {
            for (JsonNode a : Fleet.JSON.readTree(fleet.get(n, "/admin/adapters").body()).get("adapters")) {
              if (a.get("id").asText().equals("rolled-qv")) {
                return a.get("pinned").asBoolean() && a.get("source").asText().contains("adapter-qv-r8");
              }
            }
            return false;
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
      }
      LoadGenerator client = new LoadGenerator(0, null, null, 0, 24);
      List<LoadGenerator.Outcome> outcomes = new ArrayList<>();
      int i = 0;
      for (Reference.Case c : Reference.forAdapter("adapter-qv-r8")) {
        for (NodeProcess via : List.of(previous2, current1, current3)) {
          outcomes.add(client.request(via, new Reference.Case(c.prompt(), "rolled-qv", c.tokenIds()), i++ % 2 == 0));
        }
      }
      assertAllServed(outcomes, "the adapter registered and pinned across versions");
    });
  }

  @Test
  @Order(4)
  void supervisorCommandsCrossVersions() throws Exception {
    fleet.run(() -> {
      String adapter = "adapter-mlp-r8";
      // Through a previous-version node to the supervisor singleton (on the oldest node, current1), and back.
      HttpResponse<String> moved = fleet.post(previous2, "/admin/rebalance",
          "{\"adapter\": \"" + adapter + "\", \"to\": \"" + previous2.address() + "\"}");
      assertEquals(200, moved.statusCode(), moved.body());
      assertEquals(previous2.address(), Fleet.JSON.readTree(moved.body()).get("nodes").get(0).asText());
      Fleet.await(Duration.ofSeconds(10), adapter + " placed on previous2 in every node's view",
          () -> List.of(current1, previous2, current3).stream().allMatch(n -> {
            JsonNode p = fleet.cluster(n).get("placements").get(adapter);
            return p != null && p.get("nodes").size() == 1 && p.get("nodes").get(0).asText().equals(previous2.address());
          }), () -> fleet.cluster(previous2));
      LoadGenerator client = new LoadGenerator(0, null, null, 0, 24);
      List<LoadGenerator.Outcome> outcomes = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        outcomes.add(client.request(List.of(current1, current3).get(i % 2), Reference.forAdapter(adapter).get(i % 2),
            i % 2 == 0));
      }
      assertAllServed(outcomes, "a moved adapter, relayed from current nodes to the previous-version node");
      HttpResponse<String> replicas = fleet.post(current3, "/admin/adapters/" + adapter + "/replicas",
          "{\"count\": 2}");
      assertEquals(200, replicas.statusCode(), replicas.body());
      assertEquals(2, Fleet.JSON.readTree(replicas.body()).get("nodes").size(), replicas.body());
      HttpResponse<String> rebalanced = fleet.post(previous2, "/admin/rebalance", "");
      assertEquals(200, rebalanced.statusCode(), rebalanced.body());
      assertTrue(Fleet.JSON.readTree(rebalanced.body()).has("changes"), rebalanced.body());
      String decisions = fleet.cluster(previous2).get("supervisor").get("decisions").toString();
      for (String kind : List.of("admin-move", "admin-replicas", "admin-rebalance")) {
        assertTrue(decisions.contains(kind), kind + " in " + decisions);
      }
    });
  }
}
