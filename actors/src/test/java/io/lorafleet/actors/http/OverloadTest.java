package io.lorafleet.actors.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.actors.node.LoraFleetNode;
import io.lorafleet.runtime.engine.EngineConfig;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** A node with room for one running and one waiting request: the rest are refused at once, never queued. */
class OverloadTest {
  @Test
  void tooManyRequestsGet503WithRetryAfterAndTheNodeKeepsServing() throws Exception {
    try (LoraFleetNode node = TestNode.start(Files.createTempDirectory("overload"),
        Map.of("lorafleet.admin.token-file", ""),
        EngineConfig.DEFAULTS.withMaxNumSeqs(1).withMaxWaiting(1).withKvCacheBytes(16L << 20))) {
      HttpTestClient http = new HttpTestClient(node.url());
      String body = "{\"inputs\": \"The quick brown fox\", \"parameters\": {\"max_new_tokens\": 40, "
          + "\"ignore_eos_token\": true, \"adapter_id\": \"adapter-qv-r8\"}}";
      List<CompletableFuture<HttpTestClient.Reply>> replies = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        replies.add(http.postAsync("/generate", body));
      }
      int ok = 0;
      int refused = 0;
      for (CompletableFuture<HttpTestClient.Reply> f : replies) {
        HttpTestClient.Reply r = f.join();
        if (r.status() == 200) {
          ok++;
        } else {
          assertEquals(503, r.status(), r.body());
          assertEquals("1", r.header("retry-after"));
          assertEquals("overloaded", r.json().get("error_type").asText());
          assertTrue(r.json().get("error").asText().contains("queue is full"), r.body());
          refused++;
        }
      }
      assertTrue(ok >= 1 && refused >= 1, ok + " served, " + refused + " refused");
      assertEquals(200, http.get("/health").status());
      assertEquals(200, http.post("/generate", "{\"inputs\": \"again\", \"parameters\": {\"max_new_tokens\": 2}}")
          .status());
      // No token file: the admin API is off.
      HttpTestClient.Reply admin = http.get("/admin/node", "Authorization", "Bearer anything");
      assertEquals(403, admin.status(), admin.body());
      assertEquals("admin_disabled", admin.json().get("error_type").asText());
    }
  }
}
