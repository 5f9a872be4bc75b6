package io.lorafleet.multinode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A relayed request whose client leaves before the serving node admitted it: an ingress-only node relays
 * every request to the one serving node, which is still downloading the request's adapter (an HTTP source
 * in this JVM that holds the files back) when the client closes its connection. The ingress node answers
 * at once (counted as client gone), the cancel reaches the serving node, and once the adapter has arrived
 * the cancelled generation never runs there.
 */
@Timeout(value = 300)
class RelayedClientGoneTest {
  @Test
  void aClientThatLeavesWhileTheServingNodeLoadsItsAdapterIsCancelledThere() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger hits = new AtomicInteger();
    HttpServer source = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    source.setExecutor(Executors.newCachedThreadPool());
    source.createContext("/slow/", ex -> {
      hits.incrementAndGet();
      try {
        release.await(120, TimeUnit.SECONDS);
        String path = ex.getRequestURI().getPath();
        byte[] file = Files.readAllBytes(Fleet.fixtures().resolve("adapters").resolve("adapter-qv-r8")
            .resolve(path.substring(path.lastIndexOf('/') + 1)));
        ex.sendResponseHeaders(200, file.length);
        try (OutputStream o = ex.getResponseBody()) {
          o.write(file);
        }
      } catch (InterruptedException | IOException e) {
        ex.sendResponseHeaders(500, -1);
      } finally {
        ex.close();
      }
    });
    source.start();
    String base = "http://127.0.0.1:" + source.getAddress().getPort() + "/slow/";
    try (Fleet fleet = new Fleet("relayed-client-gone", "lorafleet.adapters.allowed-urls = [\"" + base + "\"]\n")) {
      NodeProcess serving = fleet.start("serving");
      NodeProcess ingress = fleet.start("ingress", "--roles", "ingress");
      fleet.run(() -> {
        fleet.awaitHealthy(serving, Duration.ofSeconds(150));
        fleet.awaitHealthy(ingress, Duration.ofSeconds(150));
        Fleet.await(Duration.ofSeconds(60), "2 members up, the serving node announced", () -> {
          JsonNode v = fleet.cluster(ingress);
          return v != null && Fleet.upMembers(v) == 2 && v.get("nodes").size() == 1;
        }, () -> fleet.cluster(ingress));
        String body = "{\"inputs\": \"The quick brown fox\", \"parameters\": {\"max_new_tokens\": 500,"
            + " \"ignore_eos_token\": true, \"adapter_id\": \"" + base + "leaving\"}}";
        try (Socket s = new Socket("127.0.0.1", Integer.parseInt(ingress.url().substring(ingress.url().lastIndexOf(':') + 1)))) {
          OutputStream out = s.getOutputStream();
          out.write(("POST /generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
              + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
          out.flush();
          Fleet.await(Duration.ofSeconds(60), "the serving node asks the source for the adapter", () -> hits.get() > 0);
          Thread.sleep(300);
        } // the client leaves while the serving node still waits for the adapter
        Fleet.await(Duration.ofSeconds(20), "the ingress node ends the request as client gone (408)",
            () -> metric(fleet, ingress, "lorafleet_http_requests_total{route=\"/generate\",status=\"408\"}") >= 1);
        assertEquals(1, release.getCount(), "the request ended before the adapter arrived");
        release.countDown();
        Fleet.await(Duration.ofSeconds(60), "the serving node has the adapter", () -> hits.get() >= 2);
        Thread.sleep(2000); // time for a generation that was not cancelled to start and run
        JsonNode engine = Fleet.JSON.readTree(fleet.get(serving, "/admin/node").body()).get("engine");
        assertEquals(0, engine.get("generated_tokens").asLong(), "the cancelled generation ran: " + engine);
        assertEquals(0, engine.get("kv_blocks_used").asInt(), engine.toString());
        assertEquals(0, engine.get("running").asInt(), engine.toString());
        // The fleet serves on, with the adapter that had been loading.
        String ok = "{\"inputs\": \"The quick brown fox\", \"parameters\": {\"max_new_tokens\": 4,"
            + " \"ignore_eos_token\": true, \"adapter_id\": \"" + base + "leaving\"}}";
        var r = fleet.post(ingress, "/generate", ok);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(metric(fleet, ingress, "lorafleet_routed_requests_total{target=\"remote\"}") >= 2);
      });
    } finally {
      source.stop(0);
    }
  }

  private static double metric(Fleet fleet, NodeProcess node, String series) {
    try {
      for (String line : fleet.get(node, "/metrics").body().split("\n")) {
        if (line.startsWith(series + " ")) {
          return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return 0;
    } catch (IOException e) {
      return 0;
    }
  }
}
