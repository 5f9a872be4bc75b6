package io.lorafleet.multinode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * One fleet through its life: three nodes form a cluster and serve every adapter with the reference
 * output through any node; a fourth joins under load; a hot adapter is replicated; the fourth drains
 * under load; a node is killed with SIGKILL under load. The steps share the fleet, in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 240)
class FleetTest {
  private Fleet fleet;
  private NodeProcess n1;
  private NodeProcess n2;
  private NodeProcess n3;
  private NodeProcess n4;
  private NodeProcess ingress;

  @BeforeAll
  void start() {
    // A hot adapter: above 2.5 requests per second (the background load of these tests spreads over all the
    // adapters; an adapter replicated by it falls back within the cool-down before the surge step).
    fleet = new Fleet("fleet", """
        lorafleet.cluster.supervisor.replication {
          rate-per-replica = 2.5
          cool-down = 10s
        }
        """);
    n1 = fleet.start("node1");
    n2 = fleet.start("node2");
    n3 = fleet.start("node3");
    ingress = fleet.start("ingress", "--roles", "ingress");
  }

  @AfterAll
  void stop() {
    fleet.close();
  }

  private JsonNode view() {
    return fleet.cluster(n1);
  }

  private static void log(String what, Object... args) {
    System.out.printf("[fleet] " + what + "%n", args);
  }

  private static void assertAllServed(List<LoadGenerator.Outcome> outcomes, String step) {
    Map<LoadGenerator.Kind, Integer> counts = LoadGenerator.count(outcomes);
    log("%s: %s", step, counts);
    assertTrue(outcomes.size() > 0, step + ": no request completed");
    assertEquals(0, counts.getOrDefault(LoadGenerator.Kind.MISMATCH, 0),
        step + ": outputs differ from the reference" + LoadGenerator.describe(outcomes, LoadGenerator.Kind.MISMATCH));
    assertEquals(0, counts.getOrDefault(LoadGenerator.Kind.LOST, 0),
        step + ": requests lost" + LoadGenerator.describe(outcomes, LoadGenerator.Kind.LOST));
    assertEquals(0, counts.getOrDefault(LoadGenerator.Kind.ERROR, 0),
        step + ": requests failed" + LoadGenerator.describe(outcomes, LoadGenerator.Kind.ERROR));
  }

  @Test
  @Order(1)
  void threeNodesFormAClusterAndServeEveryAdapterThroughAnyNode() throws Exception {
    fleet.run(() -> {
      long t0 = System.nanoTime();
      for (NodeProcess n : List.of(n1, n2, n3, ingress)) {
        fleet.awaitHealthy(n, Duration.ofSeconds(150));
      }
      Fleet.await(Duration.ofSeconds(60), "4 members up (one ingress-only), 3 serving nodes announced", () -> {
        JsonNode v = view();
        return Fleet.upMembers(v) == 4 && v.get("nodes").size() == 3;
      }, this::view);
      log("formation: 3 nodes up and announced in %d ms", (System.nanoTime() - t0) / 1_000_000);
      JsonNode v = view();
      for (JsonNode n : v.get("nodes")) {
        assertTrue(n.get("capacity").get("max_batch").asInt() == 16, n.toString());
        assertTrue(n.get("capacity").get("adapter_slots").asInt() > 0, n.toString());
      }
      LoadGenerator client = new LoadGenerator(0, null, null, 0, 24);
      List<LoadGenerator.Outcome> outcomes = new ArrayList<>();
      List<NodeProcess> nodes = List.of(n1, n2, n3);
      int i = 0;
      for (Reference.Case c : Reference.CASES) {
        NodeProcess via = nodes.get(i % 3);
        outcomes.add(client.request(via, c, i % 4 == 0));
        i++;
      }
      assertAllServed(outcomes, "every adapter through every node");
      // The ingress-only node serves nothing itself: it routes everything to the serving nodes.
      List<LoadGenerator.Outcome> viaIngress = new ArrayList<>();
      for (Reference.Case c : Reference.CASES) {
        viaIngress.add(client.request(ingress, c, viaIngress.size() % 3 == 0));
      }
      assertAllServed(viaIngress, "every adapter through the ingress node");
      String metrics = fleet.get(ingress, "/metrics").body();
      assertTrue(metrics.lines().anyMatch(l -> l.startsWith("lorafleet_routed_requests_total{target=\"remote\"} ")
          && Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)) >= Reference.CASES.size())
          && metrics.lines().noneMatch(l -> l.startsWith("lorafleet_routed_requests_total{target=\"local\"}")),
          "the ingress node relayed every request:\n" + metrics.lines().filter(l -> l.contains("routed")).toList());
      JsonNode ingressNode = new ObjectMapper().readTree(fleet.get(ingress, "/admin/node").body());
      JsonNode servingNode = new ObjectMapper().readTree(fleet.get(n1, "/admin/node").body());
      assertEquals(0, ingressNode.get("engine").get("steps").asLong(), "the ingress node ran no step: " + ingressNode);
      assertTrue(ingressNode.get("backend").asText().startsWith("cpu"), "ingress engine on the CPU: " + ingressNode);
      int blocksPerSequence = (ingressNode.get("engine").get("max_model_len").asInt() + 15) / 16;
      assertTrue(ingressNode.get("engine").get("kv_blocks_total").asInt() <= blocksPerSequence
          && servingNode.get("engine").get("kv_blocks_total").asInt() > blocksPerSequence,
          "the ingress node keeps a KV cache for one sequence: " + ingressNode.get("engine") + " vs "
              + servingNode.get("engine"));
      assertTrue(ingress.stop(60), "the ingress node leaves on SIGTERM");
      Fleet.await(Duration.ofSeconds(30), "3 members after the ingress node left", () -> {
        JsonNode now = view();
        return now.get("members").size() == 3 && Fleet.upMembers(now) == 3;
      }, this::view);
      Fleet.await(Duration.ofSeconds(10), "requests served on at least two nodes", () -> {
        int serving = 0;
        for (JsonNode n : view().get("nodes")) {
          serving += n.get("load").get("served_requests").asLong() > 0 ? 1 : 0;
        }
        return serving >= 2;
      });
      assertEquals(3, view().get("shards").size(), "every node hosts adapter shards: " + view().get("shards"));
    });
  }

  @Test
  @Order(2)
  void aFourthNodeJoinsUnderLoadAndReceivesShardsAndTraffic() throws Exception {
    fleet.run(() -> {
      LoadGenerator load = new LoadGenerator(4, LoadGenerator.anyOf(List.of(n1, n2, n3)), LoadGenerator.anyCase(),
          0.3, 16);
      try {
        Fleet.await(Duration.ofSeconds(30), "load running", () -> load.soFar().size() >= 10);
        n4 = fleet.start("node4");
        fleet.awaitHealthy(n4, Duration.ofSeconds(150));
        Fleet.await(Duration.ofSeconds(30), "node4 up", () -> Fleet.upMembers(view()) == 4);
        Duration took = Fleet.await(Duration.ofSeconds(15), "node4 holds shards and served requests", () -> {
          JsonNode e = Fleet.nodeEntry(view(), n4);
          return e != null && e.get("shards").size() > 0 && e.get("load").get("served_requests").asLong() > 0;
        }, this::view);
        log("join: node4 received shards %s and traffic %d ms after it was up",
            Fleet.nodeEntry(view(), n4).get("shards"), took.toMillis());
        long before = load.soFar().size();
        Fleet.await(Duration.ofSeconds(30), "more load after the join", () -> load.soFar().size() >= before + 10);
      } finally {
        assertAllServed(load.stop(), "join under load");
      }
    });
  }

  @Test
  @Order(3)
  void aHotAdapterIsReplicatedWithinFiveSecondsOfASurge() throws Exception {
    fleet.run(() -> {
      String hot = "adapter-qv-r8";
      // The short prompt only: the cheapest requests, the highest rate this machine can give one adapter.
      List<Reference.Case> cases = List.of(Reference.forAdapter(hot).get(0));
      Fleet.await(Duration.ofSeconds(60), hot + " not replicated before the surge", () -> {
        JsonNode p = view().get("placements").get(hot);
        return p == null || p.get("replicas").asInt() == 1;
      }, this::view);
      // Short requests from many clients: a request rate well above one replica's 2.5 per second.
      LoadGenerator surge = new LoadGenerator(12, LoadGenerator.anyOf(List.of(n1, n2, n3, n4)),
          () -> cases.get(ThreadLocalRandom.current().nextInt(cases.size())), 0, 2);
      try {
        Duration took = Fleet.await(Duration.ofSeconds(5), hot + " placed on two or more nodes", () -> {
          JsonNode p = view().get("placements").get(hot);
          return p != null && p.get("replicas").asInt() >= 2;
        }, this::view);
        log("hot adapter: %s replicated %d ms after the surge began: %s", hot, took.toMillis(),
            view().get("placements").get(hot));
        Fleet.await(Duration.ofSeconds(15), hot + " served by two or more nodes", () -> {
          int serving = 0;
          for (JsonNode n : view().get("nodes")) {
            serving += n.get("adapter_rates").path(hot).asDouble() > 0.5 ? 1 : 0;
          }
          return serving >= 2;
        }, this::view);
        JsonNode sup = view().get("supervisor");
        assertTrue(sup.get("decisions").toString().contains("replicas"), sup.toString());
      } finally {
        assertAllServed(surge.stop(), "hot adapter surge");
      }
    });
  }

  @Test
  @Order(4)
  void adminsMoveAnAdapterSetItsReplicasAndRebalance() throws Exception {
    fleet.run(() -> {
      String adapter = "adapter-mlp-r8";
      HttpResponse<String> moved = fleet.post(n1, "/admin/rebalance",
          "{\"adapter\": \"" + adapter + "\", \"to\": \"" + n2.address() + "\"}");
      assertEquals(200, moved.statusCode(), moved.body());
      assertEquals(n2.address(), Fleet.JSON.readTree(moved.body()).get("nodes").get(0).asText());
      Fleet.await(Duration.ofSeconds(10), adapter + " placed on node2 in every node's view", () -> List.of(n1, n3)
          .stream().allMatch(n -> {
            JsonNode p = fleet.cluster(n).get("placements").get(adapter);
            return p != null && p.get("nodes").size() == 1 && p.get("nodes").get(0).asText().equals(n2.address());
          }), this::view);
      LoadGenerator client = new LoadGenerator(0, null, null, 0, 8);
      List<LoadGenerator.Outcome> outcomes = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        outcomes.add(client.request(List.of(n1, n3, n4).get(i % 3), Reference.forAdapter(adapter).get(i % 2), false));
      }
      assertAllServed(outcomes, "requests for a moved adapter");
      Fleet.await(Duration.ofSeconds(10), "node2 serves " + adapter, () -> {
        JsonNode e = Fleet.nodeEntry(view(), n2);
        return e.get("adapter_rates").path(adapter).asDouble() > 0;
      }, this::view);

      HttpResponse<String> replicas = fleet.post(n3, "/admin/adapters/" + adapter + "/replicas", "{\"count\": 2}");
      assertEquals(200, replicas.statusCode(), replicas.body());
      JsonNode nodes = Fleet.JSON.readTree(replicas.body()).get("nodes");
      assertEquals(2, nodes.size(), replicas.body());
      assertEquals(n2.address(), nodes.get(0).asText(), "keeps its node, adds one");
      assertEquals(422, fleet.post(n3, "/admin/adapters/" + adapter + "/replicas", "{\"count\": 9}").statusCode());

      HttpResponse<String> rebalanced = fleet.post(n1, "/admin/rebalance", "");
      assertEquals(200, rebalanced.statusCode(), rebalanced.body());
      assertTrue(Fleet.JSON.readTree(rebalanced.body()).has("changes"), rebalanced.body());
      String decisions = view().get("supervisor").get("decisions").toString();
      for (String kind : List.of("admin-move", "admin-replicas", "admin-rebalance")) {
        assertTrue(decisions.contains(kind), kind + " in " + decisions);
      }
      HttpResponse<String> unknown = fleet.post(n1, "/admin/nodes/" + Fleet.encode("127.0.0.1:1") + "/drain", "");
      assertEquals(404, unknown.statusCode(), unknown.body());
    });
  }

  @Test
  @Order(5)
  void aDrainedNodeFinishesItsWorkAndLeavesWithoutLosingARequest() throws Exception {
    fleet.run(() -> {
      LoadGenerator load = new LoadGenerator(4, LoadGenerator.anyOf(List.of(n1, n2, n3)), LoadGenerator.anyCase(),
          0.3, 16);
      try {
        Fleet.await(Duration.ofSeconds(30), "load running", () -> load.soFar().size() >= 10);
        HttpResponse<String> r = fleet.post(n1, "/admin/nodes/" + Fleet.encode(n4.address()) + "/drain", "");
        assertEquals(202, r.statusCode(), r.body());
        long t0 = System.nanoTime();
        assertTrue(n4.awaitExit(90), "node4 exits after its drain");
        log("drain: node4 left and exited in %d ms", (System.nanoTime() - t0) / 1_000_000);
        Fleet.await(Duration.ofSeconds(30), "3 members, node4 gone", () -> {
          JsonNode v = view();
          return Fleet.upMembers(v) == 3 && v.get("members").size() == 3 && Fleet.nodeEntry(v, n4) == null;
        });
        long before = load.soFar().size();
        Fleet.await(Duration.ofSeconds(30), "more load after the drain", () -> load.soFar().size() >= before + 10);
      } finally {
        assertAllServed(load.stop(), "drain under load");
      }
    });
  }

  @Test
  @Order(6)
  void aKilledNodesRequestsAreRetriedOrEndWithARetryableErrorAndServingResumesWithinTenSeconds() throws Exception {
    fleet.run(() -> {
      LoadGenerator load = new LoadGenerator(6, LoadGenerator.anyOf(List.of(n1, n2)), LoadGenerator.anyCase(),
          0.5, 16);
      List<LoadGenerator.Outcome> outcomes;
      long killedAt;
      try {
        Fleet.await(Duration.ofSeconds(30), "load running", () -> load.soFar().size() >= 10);
        killedAt = System.nanoTime();
        n3.kill();
        log("kill: node3 (pid %d) killed with SIGKILL", n3.pid());
        Fleet.await(Duration.ofSeconds(30), "node3 removed (downed by the split brain resolver)", () -> {
          JsonNode v = view();
          return v != null && v.get("members").size() == 2 && Fleet.upMembers(v) == 2;
        }, this::view);
        log("kill: node3 downed and removed %d ms after the kill", (System.nanoTime() - killedAt) / 1_000_000);
        long settled = killedAt + Duration.ofSeconds(10).toNanos();
        Fleet.await(Duration.ofSeconds(60), "20 requests started 10 s after the kill", () -> load.soFar().stream()
            .filter(o -> o.startNanos() > settled).count() >= 20);
      } finally {
        outcomes = load.stop();
      }
      Map<LoadGenerator.Kind, Integer> counts = LoadGenerator.count(outcomes);
      log("kill under load: %s", counts);
      assertEquals(0, counts.getOrDefault(LoadGenerator.Kind.MISMATCH, 0),
          LoadGenerator.describe(outcomes, LoadGenerator.Kind.MISMATCH));
      assertEquals(0, counts.getOrDefault(LoadGenerator.Kind.LOST, 0),
          "every request gets a response: " + LoadGenerator.describe(outcomes, LoadGenerator.Kind.LOST));
      for (LoadGenerator.Outcome o : outcomes) {
        if (o.kind() == LoadGenerator.Kind.ERROR) {
          assertTrue(o.streaming() && o.retryable() && o.detail().contains("node_failed"),
              "only streams already started on the killed node may fail, with a retryable error: " + o);
        }
      }
      long settled = killedAt + Duration.ofSeconds(10).toNanos();
      List<LoadGenerator.Outcome> late = outcomes.stream().filter(o -> o.startNanos() > settled).toList();
      assertTrue(late.size() >= 20, "requests after the kill: " + late.size());
      assertTrue(late.stream().allMatch(o -> o.kind() == LoadGenerator.Kind.OK),
          "serving again 10 s after the kill: " + late.stream().filter(o -> o.kind() != LoadGenerator.Kind.OK).toList());
    });
  }
}
