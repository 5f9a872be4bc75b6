package io.lorafleet.multinode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * API keys across a real 3-node fleet (separate JVMs, API keys on): a key issued through one node's admin API
 * works on every node, and its revocation through another node reaches every node within 5 s (Distributed Data,
 * written to all reachable nodes at once).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 240)
class TenantKeysFleetTest {
  private Fleet fleet;
  private NodeProcess n1;
  private NodeProcess n2;
  private NodeProcess n3;

  @BeforeAll
  void start() {
    fleet = new Fleet("tenant-keys", """
        lorafleet.tenants.api-keys = on
        pekko.cluster.failure-detector.acceptable-heartbeat-pause = 20s
        pekko.cluster.split-brain-resolver.stable-after = 20s
        """);
    n1 = fleet.start("n1");
    n2 = fleet.start("n2");
    n3 = fleet.start("n3");
  }

  @AfterAll
  void stop() {
    fleet.close();
  }

  private int generate(NodeProcess node, String key) {
    HttpRequest r = HttpRequest.newBuilder(URI.create(node.url() + "/generate")).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(
            "{\"inputs\": \"The quick brown fox\", \"parameters\": {\"max_new_tokens\": 1}}"))
        .build();
    try {
      return fleet.http.send(r, HttpResponse.BodyHandlers.ofString()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** GET /v1/models with {@code key}: its status (200 or 401), cheap enough to poll every 50 ms. */
  private int models(NodeProcess node, String key) {
    HttpRequest r = HttpRequest.newBuilder(URI.create(node.url() + "/v1/models")).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + key).GET().build();
    try {
      return fleet.http.send(r, HttpResponse.BodyHandlers.ofString()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** Polls {@code node} every 50 ms until {@code key} gets {@code status}; the milliseconds since {@code start}. */
  private long until(NodeProcess node, String key, int status, long start) throws InterruptedException {
    while (models(node, key) != status) {
      if (System.nanoTime() - start > 10_000_000_000L) {
        throw new AssertionError(node.name + " did not answer " + status + " within 10 s");
      }
      Thread.sleep(50);
    }
    return (System.nanoTime() - start) / 1_000_000;
  }

  private HttpResponse<String> delete(NodeProcess node, String path) throws Exception {
    return fleet.http.send(HttpRequest.newBuilder(URI.create(node.url() + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + Fleet.TOKEN).DELETE().build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aKeyIssuedOnOneNodeWorksEverywhereAndItsRevocationReachesEveryNodeWithin5Seconds() throws Exception {
    fleet.run(() -> {
      for (NodeProcess n : List.of(n1, n2, n3)) {
        fleet.awaitHealthy(n, Duration.ofSeconds(150));
      }
      Fleet.await(Duration.ofSeconds(60), "3 members up", () -> Fleet.upMembers(fleet.cluster(n1)) == 3,
          () -> fleet.cluster(n1));
      // No key, no generation, on any node.
      for (NodeProcess n : List.of(n1, n2, n3)) {
        assertEquals(401, generate(n, "lf-no-such-key"), n.name);
      }
      long issuing = System.nanoTime();
      HttpResponse<String> issued = fleet.post(n1, "/admin/tenants/keys", "{\"tenant\": \"acme\"}");
      assertEquals(201, issued.statusCode(), issued.body());
      JsonNode k = Fleet.JSON.readTree(issued.body());
      String key = k.get("key").asText();
      String id = k.get("id").asText();
      System.out.printf("[tenant-keys] issued %s on n1, confirmed by every node: %s%n", id, k.get("replicated"));
      for (NodeProcess n : List.of(n2, n3, n1)) {
        long ms = until(n, key, 200, issuing);
        System.out.printf("[tenant-keys] the new key accepted on %s %d ms after the admin call began%n", n.name, ms);
        assertTrue(ms < 5000, n.name + ": " + ms + " ms");
      }
      for (NodeProcess n : List.of(n1, n2, n3)) {
        assertEquals(200, generate(n, key), "a generation with the new key on " + n.name);
      }

      long start = System.nanoTime();
      HttpResponse<String> revoked = delete(n2, "/admin/tenants/keys/" + id);
      long answered = System.nanoTime();
      assertEquals(200, revoked.statusCode(), revoked.body());
      System.out.printf("[tenant-keys] revoked on n2 in %d ms (confirmed by every node: %s)%n",
          (answered - start) / 1_000_000, Fleet.JSON.readTree(revoked.body()).get("replicated"));
      for (NodeProcess n : List.of(n1, n3, n2)) {
        long ms = until(n, key, 401, start);
        System.out.printf("[tenant-keys] revoked key refused on %s %d ms after the revocation began%n", n.name, ms);
        assertTrue(ms < 5000, n.name + ": " + ms + " ms");
        assertEquals(401, generate(n, key), "a generation with the revoked key on " + n.name);
      }
      // The listing on a third node shows it revoked.
      HttpResponse<String> list = fleet.get(n3, "/admin/tenants/keys");
      for (JsonNode e : Fleet.JSON.readTree(list.body()).get("keys")) {
        if (e.get("id").asText().equals(id)) {
          assertTrue(e.get("revoked").asBoolean(), list.body());
        }
      }
    });
  }
}
