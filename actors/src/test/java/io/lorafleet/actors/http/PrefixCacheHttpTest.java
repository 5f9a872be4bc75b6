package io.lorafleet.actors.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.actors.node.LoraFleetNode;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.engine.EngineConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Prefix caching seen from outside a real node: the same long prompt sent twice through the LoRAX, OpenAI
 * completions and chat APIs gives the same answer, and the second time the prefix-cache hit counter of
 * /metrics grows by nearly the whole prompt; /admin/node shows the cached blocks; a node started with
 * {@code lorafleet.engine.prefix-caching = off} never hits.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PrefixCacheHttpTest {
  private static final String AUTH = "Bearer " + TestNode.TOKEN;
  private static final String LONG_PROMPT = Fixtures.prompt(2).get("text").asText();
  private Path work;
  private LoraFleetNode node;
  private HttpTestClient http;

  @BeforeAll
  void start() throws IOException {
    work = Files.createTempDirectory("prefix-http");
    node = TestNode.start(work, new HashMap<>(), EngineConfig.DEFAULTS.withKvCacheBytes(64L << 20));
    http = new HttpTestClient(node.url());
  }

  @AfterAll
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  /** A counter of /metrics with label model="base" or "adapter". */
  private static long counter(HttpTestClient client, String name, String model) {
    String body = client.get("/metrics").body();
    Matcher m = Pattern.compile("(?m)^" + name + "_total\\{model=\"" + model + "\"\\} ([0-9.eE+]+)$").matcher(body);
    assertTrue(m.find(), name + "{model=" + model + "} in /metrics:\n" + body);
    return (long) Double.parseDouble(m.group(1));
  }

  /** Sends {@code send} twice; asserts equal answers and that the second hit the cache for {@code model}. */
  private void assertSecondIsAHit(String what, String model, Supplier<HttpTestClient.Reply> send,
      java.util.function.Function<JsonNode, String> answer) {
    HttpTestClient.Reply first = send.get();
    assertEquals(200, first.status(), first.body());
    long hits = counter(http, "lorafleet_prefix_cache_hit_tokens", model);
    long queried = counter(http, "lorafleet_prefix_cache_queried_tokens", model);
    HttpTestClient.Reply second = send.get();
    assertEquals(200, second.status(), second.body());
    assertEquals(answer.apply(first.json()), answer.apply(second.json()), what + ": same answer from the cache");
    long newHits = counter(http, "lorafleet_prefix_cache_hit_tokens", model) - hits;
    long newQueried = counter(http, "lorafleet_prefix_cache_queried_tokens", model) - queried;
    assertTrue(newQueried >= 300, what + ": queried " + newQueried);
    assertTrue(newHits >= newQueried - 16 && newHits < newQueried,
        what + ": all full blocks but the last token's hit: " + newHits + " of " + newQueried);
  }

  private static ObjectNode lorax(String adapter) {
    ObjectNode b = HttpTestClient.JSON.createObjectNode();
    b.put("inputs", LONG_PROMPT);
    ObjectNode p = b.putObject("parameters");
    p.put("max_new_tokens", 8);
    p.put("details", true);
    p.put("ignore_eos_token", true);
    if (adapter != null) {
      p.put("adapter_id", adapter);
    }
    return b;
  }

  @Test
  void loraxRequestsHitTheCacheForTheBaseModelAndForAnAdapter() {
    assertSecondIsAHit("LoRAX base", "base", () -> http.post("/generate", lorax(null)),
        j -> j.get("details").get("tokens").toString());
    assertSecondIsAHit("LoRAX adapter", "adapter", () -> http.post("/generate", lorax("adapter-qkvo-r16")),
        j -> j.get("details").get("tokens").toString());
  }

  @Test
  void openAiCompletionsAndChatHitTheCache() {
    ObjectNode c = HttpTestClient.JSON.createObjectNode();
    c.put("model", "adapter-mlp-r8");
    c.put("prompt", LONG_PROMPT);
    c.put("max_tokens", 8);
    c.put("temperature", 0);
    c.put("ignore_eos", true);
    assertSecondIsAHit("OpenAI completions", "adapter", () -> http.post("/v1/completions", c),
        j -> j.get("choices").get(0).get("text").asText());

    ObjectNode chat = HttpTestClient.JSON.createObjectNode();
    chat.put("model", "model");
    chat.putArray("messages").addObject().put("role", "user").put("content", LONG_PROMPT);
    chat.put("max_tokens", 8);
    chat.put("temperature", 0);
    assertSecondIsAHit("OpenAI chat", "base", () -> http.post("/v1/chat/completions", chat),
        j -> j.get("choices").get(0).get("message").get("content").asText());
  }

  @Test
  void adminNodeShowsTheCachedBlocks() {
    assertEquals(200, http.post("/generate", lorax("adapter-kod-r8")).status());
    JsonNode pc = http.get("/admin/node", "Authorization", AUTH).json().get("engine").get("prefix_cache");
    assertTrue(pc.get("enabled").asBoolean(), pc.toString());
    assertTrue(pc.get("cached_blocks").asInt() >= 300 / 16, pc.toString());
    assertTrue(pc.get("evictable_blocks").asInt() > 0, pc.toString());
    assertTrue(pc.get("queried_tokens").get("adapter").asLong() > 0, pc.toString());
  }

  @Test
  void aNodeWithPrefixCachingOffNeverHits() throws IOException {
    Map<String, Object> conf = new HashMap<>();
    conf.put("lorafleet.engine.prefix-caching", "off");
    LoraFleetNode off = TestNode.start(Files.createTempDirectory("prefix-http-off"), conf,
        EngineConfig.DEFAULTS.withKvCacheBytes(32L << 20));
    try {
      HttpTestClient client = new HttpTestClient(off.url());
      for (int i = 0; i < 2; i++) {
        assertEquals(200, client.post("/generate", lorax(null)).status());
      }
      assertEquals(0, counter(client, "lorafleet_prefix_cache_hit_tokens", "base"));
      assertEquals(0, counter(client, "lorafleet_prefix_cache_queried_tokens", "base"));
      JsonNode pc = client.get("/admin/node", "Authorization", AUTH).json().get("engine").get("prefix_cache");
      assertFalse(pc.get("enabled").asBoolean(), pc.toString());
      assertEquals(0, pc.get("cached_blocks").asInt(), pc.toString());
      assertTrue(List.of(0).contains(pc.get("evictable_blocks").asInt()));
    } finally {
      off.close();
    }
  }
}
