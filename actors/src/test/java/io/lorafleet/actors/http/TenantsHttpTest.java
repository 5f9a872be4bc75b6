package io.lorafleet.actors.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.actors.node.LoraFleetNode;
import io.lorafleet.actors.tenants.ApiKeys;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.engine.EngineConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Tenants on a real node on 127.0.0.1 with API keys on: 401 without a valid key (missing, wrong, revoked; OpenAI's
 * error body on /v1), adapters of other tenants answered exactly as unknown ones (404) and absent from the
 * listings, quotas refusing with 429 and Retry-After, keys issued and revoked through the admin API, per-tenant
 * metrics; and a node with keys off serving everyone as before.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TenantsHttpTest {
  private static final String ADMIN = "Bearer " + TestNode.TOKEN;
  private static final String ACME = "acme-secret-key-0001";
  private static final String ACME_2 = "acme-secret-key-0002";
  private static final String GLOBEX = "globex-secret-key-01";
  private static final String LIMITED = "limited-secret-key-1";
  private static final String THRIFTY = "thrifty-secret-key-1";
  private static final String SINGLE = "single-secret-key-01";
  private static final String SMALL = "small-secret-key-001";
  /** Owned by acme (lorafleet.tenants.adapter-owners); the other fixture adapters are public. */
  private static final String ACME_ADAPTER = "adapter-qv-r8";
  private static final String PUBLIC_ADAPTER = "adapter-all-r16";

  private Path work;
  private LoraFleetNode node;
  private HttpTestClient http;

  @BeforeAll
  void start() throws IOException {
    work = Files.createTempDirectory("tenants-http");
    Path keysFile = work.resolve("keys.txt");
    Files.writeString(keysFile, """
        # tenant key-id key-or-digest
        globex globex-1 sha256:%s
        limited limited-1 %s

        thrifty thrifty-1 %s
        """.formatted(ApiKeys.sha256Hex(GLOBEX), LIMITED, THRIFTY));
    Map<String, Object> conf = new HashMap<>();
    conf.put("lorafleet.tenants.api-keys", true);
    conf.put("lorafleet.tenants.keys-file", keysFile.toString());
    conf.put("lorafleet.tenants.configured.acme", Map.of("priority", "interactive",
        "keys", List.of(Map.of("id", "acme-1", "key", ACME), Map.of("id", "acme-2", "sha256", ApiKeys.sha256Hex(ACME_2)))));
    conf.put("lorafleet.tenants.configured.globex", Map.of("priority", "batch"));
    conf.put("lorafleet.tenants.configured.limited", Map.of("requests-per-second", 0.2, "burst-seconds", 10));
    conf.put("lorafleet.tenants.configured.thrifty", Map.of("tokens-per-minute", 5));
    conf.put("lorafleet.tenants.configured.single", Map.of("max-concurrent", 1,
        "keys", List.of(Map.of("id", "single-1", "key", SINGLE))));
    conf.put("lorafleet.tenants.configured.small", Map.of("max-kv-blocks", 4,
        "keys", List.of(Map.of("id", "small-1", "key", SMALL))));
    conf.put("lorafleet.tenants.adapter-owners", Map.of(ACME_ADAPTER, "acme"));
    node = TestNode.start(work, conf, EngineConfig.DEFAULTS.withKvCacheBytes(64L << 20));
    http = new HttpTestClient(node.url());
  }

  @AfterAll
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  private static String bearer(String key) {
    return "Bearer " + key;
  }

  private static ObjectNode lorax(String adapter, int maxNew) {
    ObjectNode b = HttpTestClient.JSON.createObjectNode();
    b.put("inputs", Fixtures.prompt(0).get("text").asText());
    ObjectNode p = b.putObject("parameters");
    p.put("max_new_tokens", maxNew);
    p.put("ignore_eos_token", true);
    if (adapter != null) {
      p.put("adapter_id", adapter);
    }
    return b;
  }

  private static ObjectNode completion(String model, int maxTokens) {
    ObjectNode b = HttpTestClient.JSON.createObjectNode();
    b.put("model", model);
    b.put("prompt", Fixtures.prompt(0).get("text").asText());
    b.put("max_tokens", maxTokens);
    b.put("temperature", 0);
    return b;
  }

  private List<String> modelIds(String key) {
    HttpTestClient.Reply r = http.get("/v1/models", "Authorization", bearer(key));
    assertEquals(200, r.status(), r.body());
    List<String> ids = new ArrayList<>();
    r.json().get("data").forEach(m -> ids.add(m.get("id").asText()));
    return ids;
  }

  // ------------------------------------------------------------------ keys

  @Test
  void withoutAValidKeyInferenceIs401() {
    for (String[] auth : List.of(new String[0], new String[] {"Authorization", "Bearer not-a-key-of-anyone"},
        new String[] {"Authorization", "Basic " + ACME}, new String[] {"Authorization", ADMIN})) {
      HttpTestClient.Reply g = http.post("/generate", lorax(null, 2), auth);
      assertEquals(401, g.status(), g.body());
      assertEquals("invalid_api_key", g.json().get("error_type").asText(), g.body());
      assertEquals("Bearer realm=\"lorafleet\"", g.header("WWW-Authenticate"));
      HttpTestClient.Reply s = http.post("/generate_stream", lorax(null, 2), auth);
      assertEquals(401, s.status(), s.body());
      // The OpenAI API's error body on /v1.
      HttpTestClient.Reply c = http.post("/v1/completions", completion("model", 2), auth);
      assertEquals(401, c.status(), c.body());
      JsonNode e = c.json().get("error");
      assertEquals("invalid_api_key", e.get("code").asText(), c.body());
      assertEquals("invalid_request_error", e.get("type").asText(), c.body());
      assertTrue(e.get("message").asText().contains("API key"), c.body());
      assertEquals(401, http.get("/v1/models", auth).status());
    }
    // Health and metrics stay open; the admin API keeps its own token.
    assertEquals(200, http.get("/health").status());
    assertEquals(200, http.get("/metrics").status());
    assertTrue(http.get("/metrics").body().contains("lorafleet_unauthorized_requests_total{reason=\"missing\"}"));
    assertTrue(http.get("/metrics").body().contains("lorafleet_unauthorized_requests_total{reason=\"invalid\"}"));
    assertEquals(401, http.get("/admin/tenants/keys", "Authorization", bearer(ACME)).status());
  }

  @Test
  void configuredKeysWorkAndKeysIssuedThroughTheAdminApiAreShownOnceAndRevokedFleetWide() {
    for (String key : List.of(ACME, ACME_2, GLOBEX)) {
      HttpTestClient.Reply r = http.post("/generate", lorax(null, 2), "Authorization", bearer(key));
      assertEquals(200, r.status(), r.body());
    }
    ObjectNode body = HttpTestClient.JSON.createObjectNode();
    body.put("tenant", "initech");
    HttpTestClient.Reply issued = http.post("/admin/tenants/keys", body, "Authorization", ADMIN);
    assertEquals(201, issued.status(), issued.body());
    String id = issued.json().get("id").asText();
    String key = issued.json().get("key").asText();
    assertTrue(key.startsWith("lf-") && key.length() == 46, key);
    assertEquals("initech", issued.json().get("tenant").asText());
    assertTrue(issued.json().get("replicated").asBoolean(), issued.body());
    assertEquals(200, http.post("/v1/completions", completion("model", 2), "Authorization", bearer(key)).status());

    // The listing has ids, tenants and states: never a key or a digest.
    HttpTestClient.Reply list = http.get("/admin/tenants/keys", "Authorization", ADMIN);
    assertEquals(200, list.status(), list.body());
    assertFalse(list.body().contains(key), list.body());
    assertFalse(list.body().contains(ApiKeys.sha256Hex(key)), list.body());
    assertFalse(list.body().contains(ApiKeys.sha256Hex(GLOBEX)), list.body());
    Map<String, JsonNode> byId = new HashMap<>();
    list.json().get("keys").forEach(k -> byId.put(k.get("id").asText(), k));
    assertEquals("admin", byId.get(id).get("origin").asText());
    assertEquals("config", byId.get("acme-1").get("origin").asText());
    assertEquals("file", byId.get("globex-1").get("origin").asText());
    assertFalse(byId.get(id).get("revoked").asBoolean());

    // A taken id is a conflict; a bad tenant name is refused.
    ObjectNode again = HttpTestClient.JSON.createObjectNode();
    again.put("tenant", "initech");
    again.put("id", "acme-1");
    assertEquals(409, http.post("/admin/tenants/keys", again, "Authorization", ADMIN).status());
    again.put("tenant", "no spaces");
    again.remove("id");
    assertEquals(422, http.post("/admin/tenants/keys", again, "Authorization", ADMIN).status());

    // Revoked: an issued key and a configured one.
    HttpTestClient.Reply revoked = http.delete("/admin/tenants/keys/" + id, "Authorization", ADMIN);
    assertEquals(200, revoked.status(), revoked.body());
    assertTrue(revoked.json().get("revoked").asBoolean());
    HttpTestClient.Reply after = http.post("/v1/completions", completion("model", 2), "Authorization", bearer(key));
    assertEquals(401, after.status(), after.body());
    assertEquals(200, http.delete("/admin/tenants/keys/acme-2", "Authorization", ADMIN).status());
    assertEquals(401, http.post("/generate", lorax(null, 2), "Authorization", bearer(ACME_2)).status());
    assertEquals(200, http.post("/generate", lorax(null, 2), "Authorization", bearer(ACME)).status(),
        "the tenant's other key still works");
    assertEquals(404, http.delete("/admin/tenants/keys/no-such-key", "Authorization", ADMIN).status());
    list = http.get("/admin/tenants/keys", "Authorization", ADMIN);
    list.json().get("keys").forEach(k -> byId.put(k.get("id").asText(), k));
    assertTrue(byId.get(id).get("revoked").asBoolean());
    assertTrue(byId.get("acme-2").get("revoked").asBoolean());
  }

  // ------------------------------------------------------------------ adapters

  @Test
  void anotherTenantsAdapterIsAnsweredAsUnknownAndNotListed() throws IOException {
    List<String> acme = modelIds(ACME);
    List<String> globex = modelIds(GLOBEX);
    assertTrue(acme.contains(ACME_ADAPTER) && acme.contains(PUBLIC_ADAPTER) && acme.contains("model"), acme.toString());
    assertFalse(globex.contains(ACME_ADAPTER), globex.toString());
    assertTrue(globex.contains(PUBLIC_ADAPTER), globex.toString());

    // 404 exactly as an adapter nobody registered: OpenAI model, LoRAX adapter_id, streaming or not.
    HttpTestClient.Reply unknown = http.post("/v1/completions", completion("no-such-adapter", 2),
        "Authorization", bearer(GLOBEX));
    HttpTestClient.Reply foreign = http.post("/v1/completions", completion(ACME_ADAPTER, 2),
        "Authorization", bearer(GLOBEX));
    assertEquals(404, unknown.status(), unknown.body());
    assertEquals(404, foreign.status(), foreign.body());
    assertEquals(unknown.body().replace("no-such-adapter", "X"), foreign.body().replace(ACME_ADAPTER, "X"));
    assertEquals(404, http.post("/generate", lorax(ACME_ADAPTER, 2), "Authorization", bearer(GLOBEX)).status());
    assertEquals(404, http.post("/generate_stream", lorax(ACME_ADAPTER, 2), "Authorization", bearer(GLOBEX)).status());
    ObjectNode chat = HttpTestClient.JSON.createObjectNode();
    chat.put("model", ACME_ADAPTER);
    chat.putArray("messages").addObject().put("role", "user").put("content", "hi");
    chat.put("max_tokens", 2);
    assertEquals(404, http.post("/v1/chat/completions", chat, "Authorization", bearer(GLOBEX)).status());
    // Its owner uses it; everyone uses public adapters and the base model.
    assertEquals(200, http.post("/generate", lorax(ACME_ADAPTER, 2), "Authorization", bearer(ACME)).status());
    assertEquals(200, http.post("/generate", lorax(PUBLIC_ADAPTER, 2), "Authorization", bearer(GLOBEX)).status());

    // GET /info: a key is optional; without one it lists public adapters only.
    assertFalse(http.get("/info").body().contains(ACME_ADAPTER));
    assertTrue(http.get("/info").body().contains(PUBLIC_ADAPTER));
    assertTrue(http.get("/info", "Authorization", bearer(ACME)).body().contains(ACME_ADAPTER));
    assertEquals(401, http.get("/info", "Authorization", "Bearer wrong-key-0000000000").status());

    // Registered through the admin API with an owner.
    ObjectNode reg = HttpTestClient.JSON.createObjectNode();
    reg.put("id", "globex-private");
    reg.put("source", Fixtures.adapter("adapter-mlp-r8").toString());
    reg.put("owner", "globex");
    HttpTestClient.Reply created = http.post("/admin/adapters", reg, "Authorization", ADMIN);
    assertEquals(201, created.status(), created.body());
    assertEquals("globex", created.json().get("owner").asText());
    assertTrue(modelIds(GLOBEX).contains("globex-private"));
    assertFalse(modelIds(ACME).contains("globex-private"));
    assertEquals(200, http.post("/v1/completions", completion("globex-private", 2), "Authorization",
        bearer(GLOBEX)).status());
    assertEquals(404, http.post("/v1/completions", completion("globex-private", 2), "Authorization",
        bearer(ACME)).status());
    // The same id with another owner is a conflict.
    reg.put("owner", "acme");
    assertEquals(409, http.post("/admin/adapters", reg, "Authorization", ADMIN).status());
    Map<String, JsonNode> admin = new HashMap<>();
    http.get("/admin/adapters", "Authorization", ADMIN).json().get("adapters")
        .forEach(a -> admin.put(a.get("id").asText(), a));
    assertEquals("acme", admin.get(ACME_ADAPTER).get("owner").asText());
    assertEquals("globex", admin.get("globex-private").get("owner").asText());
    assertTrue(admin.get(PUBLIC_ADAPTER).get("owner").isNull());

    // Named by its source (registered on first use): the tenant that named it first owns it.
    Path copy = work.resolve("root").resolve("globex-by-source");
    Files.createDirectories(copy);
    try (var files = Files.list(Fixtures.adapter("adapter-kod-r8"))) {
      for (Path f : files.toList()) {
        Files.copy(f, copy.resolve(f.getFileName()));
      }
    }
    ObjectNode bySource = lorax(copy.toString(), 2);
    ((ObjectNode) bySource.get("parameters")).put("adapter_source", "local");
    HttpTestClient.Reply first = http.post("/generate", bySource, "Authorization", bearer(GLOBEX));
    assertEquals(200, first.status(), first.body());
    HttpTestClient.Reply other = http.post("/generate", bySource, "Authorization", bearer(ACME));
    assertEquals(404, other.status(), other.body());
    java.util.Set<String> onlyGlobex = new java.util.TreeSet<>(modelIds(GLOBEX));
    onlyGlobex.removeAll(modelIds(ACME));
    assertEquals(2, onlyGlobex.size(), "globex-private and the one registered by its source: " + onlyGlobex);
    assertTrue(onlyGlobex.contains("globex-private"), onlyGlobex.toString());
  }

  // ------------------------------------------------------------------ quotas

  private static void assertQuota(HttpTestClient.Reply r, String limit) {
    assertEquals(429, r.status(), r.body());
    assertEquals(limit, r.json().get("limit").asText(), r.body());
    assertNotNull(r.header("Retry-After"), r.body());
    assertTrue(Integer.parseInt(r.header("Retry-After")) >= 1, r.header("Retry-After"));
  }

  @Test
  void requestsPerSecondOverTheBucketAre429WithRetryAfter() {
    // 0.2 requests/s with a 10 s burst: 2 at once, then one per 5 s.
    String auth = bearer(LIMITED);
    assertEquals(200, http.post("/generate", lorax(null, 1), "Authorization", auth).status());
    assertEquals(200, http.post("/v1/completions", completion("model", 1), "Authorization", auth).status());
    HttpTestClient.Reply third = http.post("/generate", lorax(null, 1), "Authorization", auth);
    assertQuota(third, "requests_per_second");
    assertEquals("quota_exceeded", third.json().get("error_type").asText());
    assertTrue(third.json().get("error").asText().contains("requests per second"), third.body());
    int retry = Integer.parseInt(third.header("Retry-After"));
    assertTrue(retry >= 1 && retry <= 5, third.header("Retry-After"));
    // On /v1 the OpenAI body, with the limit as its code.
    HttpTestClient.Reply v1 = http.post("/v1/completions", completion("model", 1), "Authorization", auth);
    assertQuota(v1, "requests_per_second");
    assertEquals("requests_per_second", v1.json().get("error").get("code").asText(), v1.body());
    // Other tenants are not affected.
    assertEquals(200, http.post("/generate", lorax(null, 1), "Authorization", bearer(GLOBEX)).status());
    String metrics = http.get("/metrics").body();
    assertTrue(metrics.contains("lorafleet_tenant_throttled_total{limit=\"requests_per_second\",tenant=\"limited\"}")
        || metrics.contains("lorafleet_tenant_throttled_total{tenant=\"limited\",limit=\"requests_per_second\"}"),
        metrics);
  }

  @Test
  void generatedTokensPerMinuteAreTakenWhenAGenerationEnds() {
    // 5 tokens a minute: the first request (8 tokens) is admitted and takes the bucket below zero.
    String auth = bearer(THRIFTY);
    HttpTestClient.Reply first = http.post("/generate", lorax(null, 8), "Authorization", auth);
    assertEquals(200, first.status(), first.body());
    HttpTestClient.Reply second = http.post("/generate", lorax(null, 1), "Authorization", auth);
    assertQuota(second, "tokens_per_minute");
    // 3 tokens below zero at 5 a minute: about 36 s until the bucket is positive again.
    int retry = Integer.parseInt(second.header("Retry-After"));
    assertTrue(retry >= 30 && retry <= 40, second.header("Retry-After"));
    assertTrue(http.get("/metrics").body().contains("lorafleet_tenant_generated_tokens_total{tenant=\"thrifty\"} 8.0"),
        http.get("/metrics").body());
  }

  @Test
  void concurrentGenerationsOverTheLimitAre429() throws Exception {
    String auth = bearer(SINGLE);
    HttpTestClient.Reply refused = null;
    for (int attempt = 0; attempt < 5 && refused == null; attempt++) {
      CompletableFuture<HttpTestClient.Reply> running = http.postAsync("/generate",
          HttpTestClient.write(lorax(null, 1800)), "Authorization", auth);
      // Wait until the node holds it.
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (System.nanoTime() < deadline && !running.isDone() && running(http, "single") == 0) {
        Thread.sleep(20);
      }
      HttpTestClient.Reply second = http.post("/generate", lorax(null, 1), "Authorization", auth);
      boolean stillRunning = !running.isDone();
      assertEquals(200, running.get().status(), running.get().body());
      if (second.status() == 429) {
        refused = second;
      } else {
        assertFalse(stillRunning, "a second generation admitted while the first ran: " + second.body());
      }
    }
    assertNotNull(refused, "the second generation was never refused");
    assertQuota(refused, "max_concurrent");
    assertEquals(0, running(http, "single"), "the share is free again once the generation ended");
    assertEquals(200, http.post("/generate", lorax(null, 1), "Authorization", auth).status());
  }

  private static int running(HttpTestClient http, String tenant) {
    for (JsonNode t : http.get("/admin/tenants", "Authorization", ADMIN).json().get("tenants")) {
      if (t.get("name").asText().equals(tenant)) {
        return t.get("this_node").get("running").asInt();
      }
    }
    throw new AssertionError("tenant " + tenant + " not listed");
  }

  @Test
  void aRequestThatMayNeedMoreKvBlocksThanTheTenantsShareIsRefused() {
    String auth = bearer(SMALL);
    ObjectNode probe = lorax(null, 1);
    ((ObjectNode) probe.get("parameters")).put("details", true);
    HttpTestClient.Reply p = http.post("/generate", probe, "Authorization", auth);
    assertEquals(200, p.status(), p.body());
    int prompt = p.json().get("details").get("prompt_tokens").asInt();
    // 4 blocks of 16 tokens: the prompt and up to 64 - prompt new tokens fit; one more may not.
    assertEquals(200, http.post("/generate", lorax(null, 64 - prompt), "Authorization", auth).status());
    HttpTestClient.Reply r = http.post("/generate", lorax(null, 65 - prompt), "Authorization", auth);
    assertEquals(422, r.status(), r.body());
    assertTrue(r.body().contains("max-kv-blocks"), r.body());
  }

  @Test
  void tenantsAreListedWithTheirLimitsAndDefaultPriority() {
    HttpTestClient.Reply r = http.get("/admin/tenants", "Authorization", ADMIN);
    assertEquals(200, r.status(), r.body());
    assertTrue(r.json().get("api_keys").asBoolean());
    Map<String, JsonNode> byName = new HashMap<>();
    r.json().get("tenants").forEach(t -> byName.put(t.get("name").asText(), t));
    assertEquals("interactive", byName.get("acme").get("priority").asText());
    assertEquals("batch", byName.get("globex").get("priority").asText());
    assertEquals("standard", r.json().get("defaults").get("priority").asText());
    assertEquals(5, byName.get("thrifty").get("limits").get("tokens_per_minute").asInt());
  }

  @Test
  void metricsCountRequestsPerConfiguredTenantAndTheRestAsOther() {
    ObjectNode body = HttpTestClient.JSON.createObjectNode();
    body.put("tenant", "unlisted-tenant");
    String key = http.post("/admin/tenants/keys", body, "Authorization", ADMIN).json().get("key").asText();
    assertEquals(200, http.post("/generate", lorax(null, 3), "Authorization", bearer(key)).status());
    assertEquals(200, http.post("/generate", lorax(null, 3), "Authorization", bearer(GLOBEX)).status());
    String metrics = http.get("/metrics").body();
    assertTrue(metrics.contains("lorafleet_tenant_requests_total{tenant=\"other\"}"), metrics);
    assertTrue(metrics.contains("lorafleet_tenant_requests_total{tenant=\"globex\"}"), metrics);
    assertFalse(metrics.contains("unlisted-tenant"), "unconfigured tenants are not labels of their own");
    assertTrue(metrics.contains("lorafleet_tenant_queue_time_seconds_count{tenant=\"globex\"}"), metrics);
  }

  // ------------------------------------------------------------------ keys off

  @Test
  void withKeysOffEveryClientUsesEveryAdapterAsBefore() throws IOException {
    Map<String, Object> conf = new HashMap<>();
    conf.put("lorafleet.tenants.adapter-owners", Map.of(ACME_ADAPTER, "acme"));
    conf.put("lorafleet.tenants.defaults.requests-per-second", 0.001);
    try (LoraFleetNode open = TestNode.start(Files.createTempDirectory("tenants-off"), conf,
        EngineConfig.DEFAULTS.withKvCacheBytes(16L << 20))) {
      HttpTestClient c = new HttpTestClient(open.url());
      HttpTestClient.Reply models = c.get("/v1/models");
      assertEquals(200, models.status(), models.body());
      assertTrue(models.body().contains(ACME_ADAPTER), models.body());
      for (int i = 0; i < 3; i++) {
        assertEquals(200, c.post("/generate", lorax(ACME_ADAPTER, 2)).status(), "no key, no quota");
      }
      // A key sent anyway is ignored.
      assertEquals(200, c.post("/v1/completions", completion(ACME_ADAPTER, 2), "Authorization", "Bearer x").status());
      assertEquals(404, c.get("/admin/tenants/keys", "Authorization", ADMIN).status());
      assertNull(c.get("/v1/models").header("WWW-Authenticate"));
    }
  }

  // ------------------------------------------------------------------ priority classes

  /** A per-class counter of /metrics. */
  private long admitted(String cls) {
    String body = http.get("/metrics").body();
    Matcher m = Pattern.compile("(?m)^lorafleet_admitted_requests_total\\{class=\"" + cls + "\"\\} ([0-9.eE+]+)$")
        .matcher(body);
    assertTrue(m.find(), "admitted{class=" + cls + "} in /metrics:\n" + body);
    return (long) Double.parseDouble(m.group(1));
  }

  @Test
  void aTenantsDefaultClassIsTheMostUrgentItsRequestsRunIn() {
    long interactive = admitted("interactive");
    long batch = admitted("batch");
    // globex's class is batch: asking for interactive does not raise it
    ObjectNode up = completion("model", 2);
    up.put("priority", "interactive");
    HttpTestClient.Reply r = http.post("/v1/completions", up, "Authorization", bearer(GLOBEX));
    assertEquals(200, r.status(), r.body());
    // acme's class is interactive: no field runs interactive, asking for batch lowers it
    ObjectNode plain = completion("model", 2);
    r = http.post("/v1/completions", plain, "Authorization", bearer(ACME));
    assertEquals(200, r.status(), r.body());
    ObjectNode down = lorax(null, 2);
    ((ObjectNode) down.get("parameters")).put("priority", "batch");
    r = http.post("/generate", down, "Authorization", bearer(ACME));
    assertEquals(200, r.status(), r.body());
    assertEquals(1, admitted("interactive") - interactive);
    assertEquals(2, admitted("batch") - batch);
  }
}
