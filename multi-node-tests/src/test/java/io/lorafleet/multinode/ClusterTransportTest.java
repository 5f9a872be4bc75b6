package io.lorafleet.multinode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The cluster transport admits only the fleet: Artery runs TLS with mutual authentication on certificates
 * made at test time. Real node JVMs that try to join the fleet's seed node are refused: one with a
 * certificate from another CA (which itself trusts the fleet's CA) and one speaking plain TCP. A node with
 * the fleet's certificate joins (every other multi-node test runs over the same TLS transport).
 */
@Timeout(value = 300)
class ClusterTransportTest {
  private static void log(String what, Object... args) {
    System.out.printf("[transport] " + what + "%n", args);
  }

  private static String grep(NodeProcess n, String... needles) {
    StringBuilder sb = new StringBuilder();
    try {
      for (String line : Files.readAllLines(n.log)) {
        for (String needle : needles) {
          if (line.contains(needle)) {
            sb.append(line, 0, Math.min(line.length(), 300)).append('\n');
            break;
          }
        }
      }
    } catch (java.io.IOException e) {
      return "";
    }
    return sb.toString();
  }

  @Test
  void nodesWithoutTheFleetsCertificateAreRefusedAndANodeWithItJoins() throws Exception {
    try (Fleet fleet = new Fleet("transport", "")) {
      NodeProcess n1 = fleet.start("node1");
      fleet.run(() -> {
        fleet.awaitHealthy(n1, Duration.ofSeconds(120));
        // A stranger with a CA of its own (it trusts the fleet's CA, the fleet does not trust it), and one
        // without TLS at all; both seed on node1.
        FleetCertificates.Stores strange = FleetCertificates.make(fleet.profile().resolveSibling("tls-stranger"));
        FleetCertificates.trustFleet(strange);
        Path strangerProfile = fleet.profile().resolveSibling("stranger.conf");
        Files.writeString(strangerProfile, "include file(\"" + fleet.profile() + "\")\n" + strange.profile());
        Path plainProfile = fleet.profile().resolveSibling("plain.conf");
        Files.writeString(plainProfile, "include file(\"" + fleet.profile() + "\")\npekko.remote.artery.transport = tcp\n");
        NodeProcess stranger = fleet.start("stranger", strangerProfile);
        NodeProcess plain = fleet.start("plain", plainProfile);
        // Both try for a while: they never become members of node1's cluster.
        // The stranger's handshake fails on the fleet's refusal of its certificate; the plain one gets no
        // answer to its join at all.
        Fleet.await(Duration.ofSeconds(120), "the strangers tried to join and were refused",
            () -> grep(stranger, "SSLHandshakeException").contains("certificate_unknown")
                && grep(plain, "Couldn't join seed nodes").contains("127.0.0.1:" + n1.remotePort),
            () -> fleet.logTails(40));
        for (int i = 0; i < 10; i++) {
          JsonNode view = fleet.cluster(n1);
          assertEquals(1, view.get("members").size(), "only node1 is a member: " + view.get("members"));
          Thread.sleep(1000);
        }
        log("stranger saw: %s", grep(stranger, "SSLHandshakeException").lines().findFirst().orElse(""));
        log("plain saw: %s", grep(plain, "Couldn't join seed nodes").lines().findFirst().orElse(""));
        assertFalse(grep(n1, "is JOINING", "Welcome from").contains("127.0.0.1:" + stranger.remotePort),
            "node1 never saw the stranger join");
        stranger.kill();
        plain.kill();
        // A node with the fleet's certificate joins and serves.
        NodeProcess n2 = fleet.start("node2");
        fleet.awaitHealthy(n2, Duration.ofSeconds(120));
        Fleet.await(Duration.ofSeconds(60), "node2 is a member", () -> Fleet.upMembers(fleet.cluster(n1)) == 2,
            () -> fleet.cluster(n1));
        JsonNode members = fleet.cluster(n1).get("members");
        assertTrue(List.of(members.get(0).get("address").asText(), members.get(1).get("address").asText())
            .contains(n2.address()), members.toString());
      });
    }
  }
}
