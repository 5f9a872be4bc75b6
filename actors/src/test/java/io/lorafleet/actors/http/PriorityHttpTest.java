package io.lorafleet.actors.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.actors.node.LoraFleetNode;
import io.lorafleet.runtime.engine.EngineConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The {@code priority} request field on a real node: accepted by both APIs (names and vLLM's integers), counted
 * per class in /metrics and /admin/node, and a bad value refused with a JSON error naming the allowed values.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PriorityHttpTest {
  private static final String AUTH = "Bearer " + TestNode.TOKEN;
  private LoraFleetNode node;
  private HttpTestClient http;

  @BeforeAll
  void start() throws IOException {
    Map<String, Object> conf = new HashMap<>();
    conf.put("lorafleet.engine.priority.aging-interval", "5s");
    node = TestNode.start(Files.createTempDirectory("priority-http"), conf,
        EngineConfig.DEFAULTS.withKvCacheBytes(16L << 20));
    http = new HttpTestClient(node.url());
  }

  @AfterAll
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  private static ObjectNode lorax(Object priority) {
    ObjectNode b = HttpTestClient.JSON.createObjectNode();
    b.put("inputs", "hello world");
    ObjectNode p = b.putObject("parameters");
    p.put("max_new_tokens", 4);
    p.put("adapter_id", "adapter-qv-r8");
    p.set("priority", HttpTestClient.JSON.valueToTree(priority));
    return b;
  }

  private static ObjectNode completion(Object priority) {
    ObjectNode b = HttpTestClient.JSON.createObjectNode();
    b.put("prompt", "hello world");
    b.put("max_tokens", 4);
    b.put("temperature", 0);
    b.set("priority", HttpTestClient.JSON.valueToTree(priority));
    return b;
  }

  private static ObjectNode chat(Object priority) {
    ObjectNode b = HttpTestClient.JSON.createObjectNode();
    b.put("model", "adapter-mlp-r8");
    b.putArray("messages").addObject().put("role", "user").put("content", "hello");
    b.put("max_tokens", 4);
    b.set("priority", HttpTestClient.JSON.valueToTree(priority));
    return b;
  }

  /** A per-class counter of /metrics. */
  private long counter(String name, String cls) {
    String body = http.get("/metrics").body();
    Matcher m = Pattern.compile("(?m)^" + name + "\\{class=\"" + cls + "\"\\} ([0-9.eE+]+)$").matcher(body);
    assertTrue(m.find(), name + "{class=" + cls + "} in /metrics:\n" + body);
    return (long) Double.parseDouble(m.group(1));
  }

  @Test
  void bothApisAcceptTheFieldAndEachClassIsCounted() {
    long interactive = counter("lorafleet_admitted_requests_total", "interactive");
    long batch = counter("lorafleet_admitted_requests_total", "batch");
    long standard = counter("lorafleet_admitted_requests_total", "standard");
    long batchQueued = counter("lorafleet_queue_time_seconds_count", "batch");

    HttpTestClient.Reply r = http.post("/generate", lorax("batch"));
    assertEquals(200, r.status(), r.body());
    r = http.post("/generate_stream", lorax("Interactive"));
    assertEquals(200, r.status(), r.body());
    assertTrue(r.body().contains("\"generated_text\""), r.body());
    r = http.post("/v1/completions", completion("interactive"));
    assertEquals(200, r.status(), r.body());
    r = http.post("/v1/chat/completions", chat(2)); // vLLM's integer priority: 2 is batch
    assertEquals(200, r.status(), r.body());
    r = http.post("/v1/completions", completion(1));
    assertEquals(200, r.status(), r.body());
    ObjectNode none = completion("standard");
    none.remove("priority");
    r = http.post("/v1/completions", none);
    assertEquals(200, r.status(), r.body());

    assertEquals(2, counter("lorafleet_admitted_requests_total", "interactive") - interactive);
    assertEquals(2, counter("lorafleet_admitted_requests_total", "batch") - batch);
    assertEquals(2, counter("lorafleet_admitted_requests_total", "standard") - standard);
    assertEquals(2, counter("lorafleet_queue_time_seconds_count", "batch") - batchQueued);
    counter("lorafleet_preemptions_total", "batch");
    counter("lorafleet_class_queue_depth", "interactive");

    JsonNode classes = http.get("/admin/node", "Authorization", AUTH).json().get("engine").get("priority_classes");
    assertEquals(List.of("interactive", "standard", "batch"), List.copyOf(iterable(classes.fieldNames())));
    assertTrue(classes.get("batch").get("admitted").asLong() >= 2, classes.toString());
    assertEquals(0, classes.get("batch").get("waiting").asInt(), classes.toString());
    assertEquals(0, classes.get("interactive").get("running").asInt(), classes.toString());
  }

  private static <T> List<T> iterable(java.util.Iterator<T> it) {
    List<T> out = new java.util.ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  @Test
  void aBadValueIsRefusedWithAJsonErrorOnBothApis() {
    List<HttpTestClient.Reply> replies = List.of(
        http.post("/generate", lorax("urgent")),
        http.post("/generate_stream", lorax(3)),
        http.post("/v1/completions", completion("realtime")),
        http.post("/v1/completions", completion(1.5)),
        http.post("/v1/chat/completions", chat(-1)),
        http.post("/v1/chat/completions", chat(true)));
    for (HttpTestClient.Reply r : replies) {
      assertEquals(422, r.status(), r.body());
      JsonNode err = r.json();
      assertEquals("invalid_request", err.get("error_type").asText(), r.body());
      String msg = err.get("error").asText();
      assertTrue(msg.contains("priority") && msg.contains("\"interactive\", \"standard\", \"batch\""), msg);
    }
    assertTrue(replies.getFirst().json().get("error").asText().startsWith("field \"parameters.priority\""),
        replies.getFirst().body());
  }
}
