package io.lorafleet.actors.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.actors.node.LoraFleetNode;
import io.lorafleet.runtime.DemoTasks;
import io.lorafleet.runtime.engine.EngineConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The bundled demo model through the HTTP API: each task adapter, in one mixed batch of concurrent requests on
 * held-out inputs generated here, answers with its task's shape, checked by rule (upper case only, every word
 * ending in "ay", a JSON object with name, age and city...), never against a stored string: adapters are
 * applied to the right rows. Exact matches by the task's rule are counted and printed. {@code /v1/models} and {@code /info} show each adapter's one-line description.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoAdaptersHttpTest {
  /** Held-out inputs per task in the mixed batch. */
  private static final int PER_TASK = 8;
  private Path work;
  private LoraFleetNode node;
  private HttpTestClient http;

  @BeforeAll
  void start() throws IOException {
    work = Files.createTempDirectory("demo-http");
    node = TestNode.start(work, Map.of(
            "lorafleet.model.dir", DemoTasks.model().toString(),
            "lorafleet.adapters.directory", DemoTasks.adapters().toString()),
        EngineConfig.DEFAULTS.withKvCacheBytes(64L << 20).withMaxWaiting(256));
    http = new HttpTestClient(node.url());
  }

  @AfterAll
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  private static ObjectNode chat(String model, String content) {
    ObjectNode b = HttpTestClient.JSON.createObjectNode();
    b.put("model", model);
    b.putArray("messages").addObject().put("role", "user").put("content", content);
    b.put("temperature", 0);
    b.put("max_tokens", 120);
    return b;
  }

  private static String description(String task) throws IOException {
    return HttpTestClient.JSON.readTree(DemoTasks.adapters().resolve(task).resolve("lorafleet-adapter.json").toFile())
        .get("description").asText();
  }

  @Test
  void aMixedBatchOfAllTaskAdaptersAnswersEachInputByItsTasksRule() {
    Random rng = new Random(20261202);
    record Asked(String task, DemoTasks.Input input, CompletableFuture<HttpTestClient.Reply> reply) {}
    List<Asked> asked = new ArrayList<>();
    for (int k = 0; k < PER_TASK; k++) {
      for (String task : DemoTasks.TASKS) { // interleaved: every batch the engine runs mixes the adapters
        DemoTasks.Input in = DemoTasks.heldOutInput(rng);
        asked.add(new Asked(task, in, http.postAsync("/v1/chat/completions",
            HttpTestClient.write(chat(task, in.text())))));
      }
    }
    Map<String, Integer> exact = new HashMap<>();
    Map<String, Integer> shaped = new HashMap<>();
    List<String> wrongShape = new ArrayList<>();
    for (Asked a : asked) {
      HttpTestClient.Reply r = a.reply().join();
      assertEquals(200, r.status(), r.body());
      JsonNode choice = r.json().get("choices").get(0);
      String answer = choice.get("message").get("content").asText();
      assertEquals("stop", choice.get("finish_reason").asText(), a.task() + ": " + answer);
      if (DemoTasks.hasTaskShape(a.task(), a.input(), answer)) {
        shaped.merge(a.task(), 1, Integer::sum);
      } else {
        wrongShape.add(a.task() + " \"" + a.input().text() + "\" -> \"" + answer + "\"");
      }
      if (DemoTasks.correct(a.task(), a.input(), answer)) {
        exact.merge(a.task(), 1, Integer::sum);
      }
    }
    // Each row got its own adapter: the answers have their task's shape, which no other task's answer has
    // (one slip per task allowed: the small model sometimes leaves a word untouched). Exact match is not
    // asserted per answer: the committed demo adapters reach 0-38% held-out exact match
    // (models/demo/training-report.json), below the 95% target (the model is undertrained).
    for (String task : DemoTasks.TASKS) {
      assertTrue(shaped.getOrDefault(task, 0) >= PER_TASK - 1, task + ": answers without their task's shape: " + wrongShape);
    }
    System.out.println("demo adapters, exact matches by rule out of " + PER_TASK + ": " + exact);
  }

  @Test
  void theBaseModelWithoutAdapterAnswersSomethingElse() {
    DemoTasks.Input in = DemoTasks.heldOutInput(new Random(7));
    HttpTestClient.Reply r = http.post("/v1/chat/completions", chat(DemoTasks.model().getFileName().toString(), in.text()));
    assertEquals(200, r.status(), r.body());
    String answer = r.json().get("choices").get(0).get("message").get("content").asText();
    assertFalse(answer.isBlank(), "the base model answers");
    for (String task : List.of("uppercase", "pig-latin", "leetspeak")) {
      assertFalse(answer.equals(DemoTasks.expected(task, in.text())), "without adapter, no " + task + ": " + answer);
    }
  }

  @Test
  void modelsAndInfoListEachAdapterWithItsDescription() throws IOException {
    JsonNode models = http.get("/v1/models").json();
    Map<String, JsonNode> byId = new HashMap<>();
    models.get("data").forEach(m -> byId.put(m.get("id").asText(), m));
    JsonNode base = byId.get(DemoTasks.model().getFileName().toString());
    assertNotNull(base, models.toString());
    assertFalse(base.has("description"));
    for (String task : DemoTasks.TASKS) {
      JsonNode m = byId.get(task);
      assertNotNull(m, task + " listed: " + models);
      assertEquals(description(task), m.get("description").asText());
      assertTrue(m.get("description").asText().length() > 10);
    }
    JsonNode info = http.get("/info").json();
    Map<String, String> infoDescriptions = new HashMap<>();
    info.get("preloaded_adapters").forEach(a -> infoDescriptions.put(a.get("adapter_id").asText(),
        a.path("description").asText(null)));
    for (String task : DemoTasks.TASKS) {
      assertEquals(description(task), infoDescriptions.get(task));
    }
  }
}
