package io.lorafleet.actors.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.actors.node.LoraFleetNode;
import io.lorafleet.runtime.engine.EngineConfig;
import io.lorafleet.runtime.format.DType;
import io.lorafleet.runtime.format.SafetensorsWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
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
 * The HTTP API of a real node on 127.0.0.1:0 (real engine, fixture model and adapters): every endpoint,
 * reference equality, concurrency, admin, adapter sources and every kind of bad input.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpApiTest {
  private static final String AUTH = "Bearer " + TestNode.TOKEN;
  private static final List<String> ADAPTERS_AND_BASE = new ArrayList<>();

  private Path work;
  private HttpServer files;
  private LoraFleetNode node;
  private HttpTestClient http;

  @BeforeAll
  void start() throws IOException {
    ADAPTERS_AND_BASE.add(null);
    ADAPTERS_AND_BASE.addAll(Fixtures.adapterNames());
    work = Files.createTempDirectory("http-api");
    // A real file server for http(s) adapter sources: /lora/<adapter>/<file> from the fixtures.
    files = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    files.createContext("/", ex -> {
      Path p = Fixtures.root().resolve("adapters")
          .resolve(ex.getRequestURI().getPath().replaceFirst("^/lora/", "")).normalize();
      boolean ok = ex.getRequestURI().getPath().startsWith("/lora/") && p.startsWith(Fixtures.adapters())
          && Files.isRegularFile(p);
      byte[] body = ok ? Files.readAllBytes(p) : "no".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(ok ? 200 : 404, body.length);
      try (OutputStream o = ex.getResponseBody()) {
        o.write(body);
      }
    });
    files.start();
    Map<String, Object> conf = new HashMap<>();
    conf.put("lorafleet.http.max-body-bytes", "64k");
    conf.put("lorafleet.adapters.max-rank", 16);
    conf.put("lorafleet.adapters.allowed-urls", List.of("http://127.0.0.1:" + files.getAddress().getPort() + "/lora/"));
    node = TestNode.start(work, conf, EngineConfig.DEFAULTS.withKvCacheBytes(128L << 20).withMaxWaiting(256));
    http = new HttpTestClient(node.url());
  }

  @AfterAll
  void stop() {
    if (node != null) {
      node.close();
    }
    if (files != null) {
      files.stop(0);
    }
  }

  // ------------------------------------------------------------------ helpers

  private static ObjectNode obj() {
    return HttpTestClient.JSON.createObjectNode();
  }

  private static ObjectNode greedyLorax(String inputs, String adapter, int maxNew) {
    ObjectNode b = obj();
    b.put("inputs", inputs);
    ObjectNode p = b.putObject("parameters");
    p.put("max_new_tokens", maxNew);
    p.put("details", true);
    p.put("ignore_eos_token", true);
    if (adapter != null) {
      p.put("adapter_id", adapter);
    }
    return b;
  }

  private static int[] tokenIds(JsonNode loraxReply) {
    JsonNode tokens = loraxReply.get("details").get("tokens");
    int[] ids = new int[tokens.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = tokens.get(i).get("id").asInt();
    }
    return ids;
  }

  private static int[] idsFromTokenStrings(JsonNode tokens) {
    int[] ids = new int[tokens.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = Integer.parseInt(tokens.get(i).asText().substring("token_id:".length()));
    }
    return ids;
  }

  private static boolean hasSpecial(int[] ids) {
    return Arrays.stream(ids).anyMatch(i -> i >= 1000);
  }

  private static String describe(int prompt, String adapter) {
    return "prompt " + prompt + " adapter " + adapter;
  }

  private static void assertError(HttpTestClient.Reply r, int status, String type, String... fragments) {
    assertEquals(status, r.status(), r.body());
    JsonNode j = r.json();
    assertEquals(type, j.get("error_type").asText(), r.body());
    for (String f : fragments) {
      assertTrue(j.get("error").asText().contains(f), "error should mention '" + f + "': " + r.body());
    }
  }

  private JsonNode nodeStatus() {
    HttpTestClient.Reply r = http.get("/admin/node", "Authorization", AUTH);
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  // ------------------------------------------------------------------ reference equality

  @Test
  void loraxGenerateMatchesTheReferenceForEveryPromptAndAdapter() {
    Map<String, CompletableFuture<HttpTestClient.Reply>> replies = new HashMap<>();
    for (int p = 0; p < Fixtures.numPrompts(); p++) {
      JsonNode prompt = Fixtures.prompt(p);
      if (!prompt.get("add_special_tokens").asBoolean()) {
        continue; // chat prompts: checked through the chat and token-id paths
      }
      for (String a : ADAPTERS_AND_BASE) {
        replies.put(p + "/" + a, http.postAsync("/generate",
            HttpTestClient.write(greedyLorax(prompt.get("text").asText(), a, 24))));
      }
    }
    assertTrue(replies.size() >= 36);
    replies.forEach((key, f) -> {
      HttpTestClient.Reply r = f.join();
      assertEquals(200, r.status(), key + ": " + r.body());
      int prompt = Integer.parseInt(key.substring(0, key.indexOf('/')));
      String adapter = key.substring(key.indexOf('/') + 1);
      adapter = adapter.equals("null") ? null : adapter;
      JsonNode ref = Fixtures.generation(prompt, adapter);
      int[] expected = Fixtures.ints(ref.get("token_ids"));
      JsonNode j = r.json();
      assertEquals(Arrays.toString(expected), Arrays.toString(tokenIds(j)), describe(prompt, adapter));
      JsonNode d = j.get("details");
      assertEquals("length", d.get("finish_reason").asText());
      assertEquals(24, d.get("generated_tokens").asInt());
      assertEquals(Fixtures.promptIds(prompt).length, d.get("prompt_tokens").asInt());
      for (int i = 0; i < expected.length; i++) {
        assertEquals(ref.get("logprobs").get(i).asDouble(), d.get("tokens").get(i).get("logprob").asDouble(), 2e-3,
            describe(prompt, adapter) + " logprob " + i);
      }
      if (!hasSpecial(expected)) {
        assertEquals(ref.get("text").asText(), j.get("generated_text").asText(), describe(prompt, adapter));
      }
    });
  }

  @Test
  void openAiCompletionsWithTokenIdPromptsMatchTheReferenceForEveryGeneration() {
    List<CompletableFuture<HttpTestClient.Reply>> replies = new ArrayList<>();
    List<JsonNode> refs = new ArrayList<>();
    for (JsonNode g : Fixtures.reference().get("generations")) {
      ObjectNode b = obj();
      b.put("model", g.get("adapter").isNull() ? "model" : g.get("adapter").asText());
      ArrayNode prompt = b.putArray("prompt");
      for (int id : Fixtures.promptIds(g.get("prompt").asInt())) {
        prompt.add(id);
      }
      b.put("max_tokens", 24);
      b.put("temperature", 0);
      b.put("ignore_eos", true);
      b.put("logprobs", 0);
      b.put("return_tokens_as_token_ids", true);
      replies.add(http.postAsync("/v1/completions", HttpTestClient.write(b)));
      refs.add(g);
    }
    assertEquals(54, replies.size());
    for (int i = 0; i < replies.size(); i++) {
      HttpTestClient.Reply r = replies.get(i).join();
      assertEquals(200, r.status(), r.body());
      JsonNode g = refs.get(i);
      JsonNode j = r.json();
      assertEquals("text_completion", j.get("object").asText());
      JsonNode choice = j.get("choices").get(0);
      assertEquals(Arrays.toString(Fixtures.ints(g.get("token_ids"))),
          Arrays.toString(idsFromTokenStrings(choice.get("logprobs").get("tokens"))),
          describe(g.get("prompt").asInt(), g.get("adapter").asText()));
      assertEquals("length", choice.get("finish_reason").asText());
      assertEquals(24, j.get("usage").get("completion_tokens").asInt());
      assertEquals(Fixtures.promptIds(g.get("prompt").asInt()).length, j.get("usage").get("prompt_tokens").asInt());
    }
  }

  @Test
  void chatCompletionsUseTheModelsTemplate() {
    int chat = -1;
    for (int p = 0; p < Fixtures.numPrompts(); p++) {
      if (Fixtures.prompt(p).has("chat_messages")) {
        chat = p;
      }
    }
    assertTrue(chat >= 0, "the fixtures have a chat prompt");
    for (String adapter : List.of("model", "adapter-qkvo-r16")) {
      ObjectNode b = obj();
      b.put("model", adapter);
      b.set("messages", Fixtures.prompt(chat).get("chat_messages"));
      b.put("max_completion_tokens", 24);
      b.put("temperature", 0);
      b.put("ignore_eos", true);
      b.put("logprobs", true);
      b.put("top_logprobs", 2);
      b.put("return_tokens_as_token_ids", true);
      HttpTestClient.Reply r = http.post("/v1/chat/completions", b);
      assertEquals(200, r.status(), r.body());
      JsonNode j = r.json();
      assertEquals("chat.completion", j.get("object").asText());
      assertEquals(Fixtures.promptIds(chat).length, j.get("usage").get("prompt_tokens").asInt());
      JsonNode choice = j.get("choices").get(0);
      assertEquals("assistant", choice.get("message").get("role").asText());
      JsonNode content = choice.get("logprobs").get("content");
      ArrayNode tokens = HttpTestClient.JSON.createArrayNode();
      content.forEach(c -> tokens.add(c.get("token").asText()));
      JsonNode ref = Fixtures.generation(chat, adapter.equals("model") ? null : adapter);
      assertEquals(Arrays.toString(Fixtures.ints(ref.get("token_ids"))), Arrays.toString(idsFromTokenStrings(tokens)));
      assertEquals(2, content.get(0).get("top_logprobs").size());
      assertEquals("length", choice.get("finish_reason").asText());
    }
  }

  // ------------------------------------------------------------------ streaming

  @Test
  void loraxStreamSendsOneEventPerTokenAndTheDetailsLast() {
    ObjectNode b = greedyLorax(Fixtures.prompt(1).get("text").asText(), "adapter-all-r16", 24);
    HttpTestClient.Reply r = http.post("/generate_stream", b);
    assertEquals(200, r.status(), r.body());
    assertTrue(r.header("content-type").startsWith("text/event-stream"), r.header("content-type"));
    List<JsonNode> events = r.events();
    assertEquals(24, events.size());
    int[] ids = events.stream().mapToInt(e -> e.get("token").get("id").asInt()).toArray();
    JsonNode ref = Fixtures.generation(1, "adapter-all-r16");
    assertEquals(Arrays.toString(Fixtures.ints(ref.get("token_ids"))), Arrays.toString(ids));
    for (int i = 0; i < 23; i++) {
      assertTrue(events.get(i).get("generated_text").isNull());
      assertTrue(events.get(i).get("details").isNull());
    }
    JsonNode last = events.get(23);
    assertEquals("length", last.get("details").get("finish_reason").asText());
    assertEquals(24, last.get("details").get("generated_tokens").asInt());
    StringBuilder text = new StringBuilder();
    events.forEach(e -> {
      if (!e.get("token").get("special").asBoolean()) {
        text.append(e.get("token").get("text").asText());
      }
    });
    assertEquals(last.get("generated_text").asText(), text.toString());
  }

  @Test
  void openAiStreamsEndWithDoneAndMatchTheWholeAnswer() {
    for (boolean chat : List.of(false, true)) {
      ObjectNode b = obj();
      b.put("model", "adapter-qv-r4-a32");
      if (chat) {
        ArrayNode msgs = b.putArray("messages");
        msgs.addObject().put("role", "user").put("content", "Tell me about foxes.");
      } else {
        b.put("prompt", Fixtures.prompt(0).get("text").asText());
      }
      b.put("max_tokens", 20);
      b.put("temperature", 0);
      b.put("ignore_eos", true);
      String path = chat ? "/v1/chat/completions" : "/v1/completions";
      HttpTestClient.Reply whole = http.post(path, b);
      assertEquals(200, whole.status(), whole.body());
      b.put("stream", true);
      b.putObject("stream_options").put("include_usage", true);
      HttpTestClient.Reply streamed = http.post(path, b);
      assertEquals(200, streamed.status(), streamed.body());
      List<JsonNode> events = streamed.events();
      assertNull(events.getLast(), "ends with data: [DONE]");
      StringBuilder text = new StringBuilder();
      String finish = null;
      JsonNode usage = null;
      for (JsonNode e : events.subList(0, events.size() - 1)) {
        assertEquals(chat ? "chat.completion.chunk" : "text_completion", e.get("object").asText());
        if (e.has("usage") && !e.get("usage").isNull()) {
          usage = e.get("usage");
          continue;
        }
        JsonNode c = e.get("choices").get(0);
        JsonNode piece = chat ? c.get("delta").get("content") : c.get("text");
        if (piece != null) {
          text.append(piece.asText());
        }
        if (!c.get("finish_reason").isNull()) {
          finish = c.get("finish_reason").asText();
        }
      }
      JsonNode w = whole.json().get("choices").get(0);
      assertEquals(chat ? w.get("message").get("content").asText() : w.get("text").asText(), text.toString());
      assertEquals("length", finish);
      assertNotNull(usage);
      assertEquals(20, usage.get("completion_tokens").asInt());
    }
  }

  @Test
  void stopSequencesEndTheTextBeforeThem() {
    String refText = Fixtures.generation(0, null).get("text").asText();
    String stop = "only";
    String expected = refText.substring(0, refText.indexOf(stop));
    ObjectNode b = greedyLorax(Fixtures.prompt(0).get("text").asText(), null, 24);
    ((ObjectNode) b.get("parameters")).put("ignore_eos_token", false);
    ((ObjectNode) b.get("parameters")).putArray("stop").add(stop);
    JsonNode j = http.post("/generate", b).json();
    assertEquals(expected, j.get("generated_text").asText());
    assertEquals("stop_sequence", j.get("details").get("finish_reason").asText());
    List<JsonNode> events = http.post("/generate_stream", b).events();
    JsonNode last = events.getLast();
    assertEquals(expected, last.get("generated_text").asText());
    assertEquals("stop_sequence", last.get("details").get("finish_reason").asText());
    for (JsonNode e : events.subList(0, events.size() - 1)) {
      assertTrue(e.get("generated_text").isNull());
    }
    ObjectNode c = obj().put("model", "model").put("prompt", Fixtures.prompt(0).get("text").asText())
        .put("max_tokens", 24).put("temperature", 0).put("stop", stop);
    JsonNode oc = http.post("/v1/completions", c).json().get("choices").get(0);
    assertEquals(expected, oc.get("text").asText());
    assertEquals("stop", oc.get("finish_reason").asText());
  }

  @Test
  void aSeedMakesSamplingRepeatable() {
    ObjectNode b = greedyLorax(Fixtures.prompt(3).get("text").asText(), "adapter-qkvo-r16", 16);
    ObjectNode p = (ObjectNode) b.get("parameters");
    p.put("do_sample", true);
    p.put("temperature", 1.3);
    p.put("seed", 42);
    JsonNode first = http.post("/generate", b).json();
    JsonNode second = http.post("/generate", b).json();
    assertEquals(42, first.get("details").get("seed").asLong());
    assertEquals(Arrays.toString(tokenIds(first)), Arrays.toString(tokenIds(second)));
    ObjectNode c = obj().put("model", "adapter-qkvo-r16").put("prompt", "Once upon a time").put("max_tokens", 16)
        .put("temperature", 1.3).put("seed", 7);
    assertEquals(http.post("/v1/completions", c).json().get("choices").get(0).get("text"),
        http.post("/v1/completions", c).json().get("choices").get(0).get("text"));
  }

  // ------------------------------------------------------------------ concurrency

  @Test
  void sixtyFourConcurrentRequestsEachEqualTheirSingleResult() {
    List<ObjectNode> requests = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      String adapter = ADAPTERS_AND_BASE.get(i % ADAPTERS_AND_BASE.size());
      ObjectNode b = greedyLorax(Fixtures.prompt(i % 5).get("text").asText(), adapter, 12);
      if (i % 2 == 1) {
        ObjectNode p = (ObjectNode) b.get("parameters");
        p.put("do_sample", true);
        p.put("temperature", 0.9);
        p.put("top_k", 50);
        p.put("seed", 1000 + i);
      }
      requests.add(b);
    }
    List<int[]> single = new ArrayList<>();
    for (ObjectNode b : requests) {
      HttpTestClient.Reply r = http.post("/generate", b);
      assertEquals(200, r.status(), r.body());
      single.add(tokenIds(r.json()));
    }
    List<CompletableFuture<HttpTestClient.Reply>> concurrent = new ArrayList<>();
    for (ObjectNode b : requests) {
      concurrent.add(http.postAsync("/generate", HttpTestClient.write(b)));
    }
    for (int i = 0; i < 64; i++) {
      HttpTestClient.Reply r = concurrent.get(i).join();
      assertEquals(200, r.status(), r.body());
      assertEquals(Arrays.toString(single.get(i)), Arrays.toString(tokenIds(r.json())), "request " + i);
    }
    // Every request returned its adapter lease (taken and given back by its pipeline).
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (Fixtures.adapterNames().stream().anyMatch(a -> leasesOf(a) != 0) && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    for (String a : Fixtures.adapterNames()) {
      assertEquals(0, leasesOf(a), a);
    }
  }

  // ------------------------------------------------------------------ info, models, metrics

  @Test
  void infoHealthModelsAndMetrics() {
    HttpTestClient.Reply health = http.get("/health");
    assertEquals(200, health.status());
    JsonNode info = http.get("/info").json();
    assertEquals("model", info.get("model_id").asText());
    assertEquals(2048, info.get("max_total_tokens").asInt());
    assertEquals("text-generation", info.get("model_pipeline_tag").asText());
    JsonNode models = http.get("/v1/models").json();
    assertEquals("list", models.get("object").asText());
    List<String> ids = new ArrayList<>();
    models.get("data").forEach(m -> ids.add(m.get("id").asText()));
    assertEquals("model", ids.getFirst());
    assertTrue(ids.containsAll(Fixtures.adapterNames()), ids.toString());
    models.get("data").forEach(m -> assertEquals("model", m.get("object").asText()));

    http.post("/generate", greedyLorax("metrics please", "adapter-mlp-r8", 4));
    HttpTestClient.Reply metrics = http.get("/metrics");
    assertEquals(200, metrics.status());
    assertTrue(metrics.header("content-type").startsWith("text/plain"), metrics.header("content-type"));
    for (String name : List.of("lorafleet_http_requests_total{route=\"/generate\",status=\"200\"}",
        "lorafleet_time_to_first_token_seconds_bucket", "lorafleet_inter_token_latency_seconds_bucket",
        "lorafleet_request_duration_seconds_bucket", "lorafleet_queue_depth", "lorafleet_running_sequences",
        "lorafleet_generated_tokens_total", "lorafleet_kv_blocks_used", "lorafleet_kv_blocks_total",
        "lorafleet_adapter_cache_hits_total{tier=\"disk\"}", "lorafleet_adapter_cache_misses_total{tier=\"cpu\"}",
        "lorafleet_adapter_cache_loads_total{tier=\"cpu\"}", "lorafleet_adapter_cache_bytes{tier=\"cpu\"}",
        "lorafleet_adapter_cache_bytes{tier=\"device\"}")) {
      assertTrue(metrics.body().contains(name), "metrics should contain " + name);
    }
  }

  // ------------------------------------------------------------------ admin

  @Test
  void adminNeedsTheBearerToken() {
    assertError(http.get("/admin/node"), 401, "unauthorized");
    assertError(http.get("/admin/adapters", "Authorization", "Bearer wrong"), 401, "unauthorized");
    assertError(http.get("/admin/adapters", "Authorization", "Bearer " + TestNode.TOKEN + "x"), 401, "unauthorized");
    assertError(http.delete("/admin/adapters/adapter-qv-r8"), 401, "unauthorized");
    assertEquals("Bearer realm=\"lorafleet-admin\"", http.get("/admin/node").header("www-authenticate"));
    assertEquals(200, http.get("/admin/adapters", "Authorization", AUTH).status());
  }

  @Test
  void adminRegistersListsPinsAndRemovesAdapters() throws IOException {
    Path copy = work.resolve("root").resolve("copy-qv");
    Fixtures.copyTree(Fixtures.adapter("adapter-qv-r8"), copy);
    ObjectNode reg = obj();
    reg.put("id", "copy-qv");
    reg.put("source", copy.toString());
    HttpTestClient.Reply created = http.post("/admin/adapters", reg, "Authorization", AUTH);
    assertEquals(201, created.status(), created.body());
    assertEquals(200, http.post("/admin/adapters", reg, "Authorization", AUTH).status(), "same source again: ok");
    ObjectNode other = reg.deepCopy().put("source", Fixtures.adapter("adapter-mlp-r8").toString());
    assertError(http.post("/admin/adapters", other, "Authorization", AUTH), 409, "conflict");

    HttpTestClient.Reply gen = http.post("/generate", greedyLorax(Fixtures.prompt(0).get("text").asText(), "copy-qv", 24));
    assertEquals(Arrays.toString(Fixtures.ints(Fixtures.generation(0, "adapter-qv-r8").get("token_ids"))),
        Arrays.toString(tokenIds(gen.json())));

    HttpTestClient.Reply pinned = http.post("/admin/adapters/copy-qv/pin", "", "Authorization", AUTH);
    assertEquals(200, pinned.status(), pinned.body());
    assertTrue(pinned.json().get("pinned").asBoolean());
    JsonNode list = http.get("/admin/adapters", "Authorization", AUTH).json();
    JsonNode entry = null;
    for (JsonNode a : list.get("adapters")) {
      if (a.get("id").asText().equals("copy-qv")) {
        entry = a;
      }
    }
    assertNotNull(entry, list.toString());
    assertTrue(entry.get("hits").asLong() >= 1, entry.toString());
    assertTrue(List.of("cpu", "device").contains(entry.get("tier").asText()), entry.toString());
    assertNotNull(entry.get("last_use").asText());
    assertTrue(entry.get("pinned").asBoolean());
    assertEquals(200, http.post("/admin/adapters/copy-qv/unpin", "", "Authorization", AUTH).status());

    JsonNode status = nodeStatus();
    assertTrue(status.get("members").size() >= 1);
    assertTrue(status.get("adapter_cache").get("cpu").get("loads").asLong() >= 1, status.toString());

    HttpTestClient.Reply removed = http.delete("/admin/adapters/copy-qv", "Authorization", AUTH);
    assertEquals(200, removed.status(), removed.body());
    assertError(http.post("/generate", greedyLorax("x", "copy-qv", 2)), 404, "not_found", "copy-qv");
    assertError(http.delete("/admin/adapters/copy-qv", "Authorization", AUTH), 404, "not_found");
    assertError(http.post("/admin/adapters/copy-qv/pin", "", "Authorization", AUTH), 404, "not_found");
  }

  @Test
  void adaptersComeFromAllowedUrlsButNeverFromElsewhere() {
    String base = "http://127.0.0.1:" + files.getAddress().getPort();
    ObjectNode reg = obj();
    reg.put("id", "remote-kod");
    reg.put("source", base + "/lora/adapter-kod-r8");
    HttpTestClient.Reply created = http.post("/admin/adapters", reg, "Authorization", AUTH);
    assertEquals(201, created.status(), created.body());
    HttpTestClient.Reply gen = http.post("/generate", greedyLorax(Fixtures.prompt(2).get("text").asText(), "remote-kod", 24));
    assertEquals(Arrays.toString(Fixtures.ints(Fixtures.generation(2, "adapter-kod-r8").get("token_ids"))),
        Arrays.toString(tokenIds(gen.json())));
    assertTrue(nodeStatus().get("adapter_cache").get("disk").get("loads").asLong() >= 1);

    reg.put("id", "elsewhere");
    reg.put("source", base + "/other/adapter-kod-r8");
    assertError(http.post("/admin/adapters", reg, "Authorization", AUTH), 403, "adapter_source_refused", "allow-list");
    reg.put("source", "http://169.254.169.254/latest/meta-data");
    assertError(http.post("/admin/adapters", reg, "Authorization", AUTH), 403, "adapter_source_refused");
    reg.put("source", base + "/lora/../lora-secret");
    assertError(http.post("/admin/adapters", reg, "Authorization", AUTH), 403, "adapter_source_refused");
    reg.put("source", work.resolve("root").resolve("..").resolve("..").toString());
    assertError(http.post("/admin/adapters", reg, "Authorization", AUTH), 403, "adapter_source_refused", "outside");
    // LoRAX-style on-the-fly sources: a local path outside the roots, a hub id.
    ObjectNode lorax = greedyLorax("x", "/etc", 2);
    ((ObjectNode) lorax.get("parameters")).put("adapter_source", "local");
    assertError(http.post("/generate", lorax), 403, "adapter_source_refused");
    assertError(http.post("/generate", greedyLorax("x", "predibase/customer_support", 2)), 400,
        "adapter_source_unavailable", "hub is not reachable");
  }

  @Test
  void aLocalPathUnderARootIsLoadedOnTheFly() throws IOException {
    Path dir = work.resolve("root").resolve("fly-all4");
    Fixtures.copyTree(Fixtures.adapter("adapter-all-r4"), dir);
    ObjectNode b = greedyLorax(Fixtures.prompt(0).get("text").asText(), dir.toString(), 24);
    ((ObjectNode) b.get("parameters")).put("adapter_source", "local");
    HttpTestClient.Reply r = http.post("/generate", b);
    assertEquals(200, r.status(), r.body());
    assertEquals(Arrays.toString(Fixtures.ints(Fixtures.generation(0, "adapter-all-r4").get("token_ids"))),
        Arrays.toString(tokenIds(r.json())));
  }

  // ------------------------------------------------------------------ bad input

  @Test
  void badRequestsGetJsonErrorsAndTheNodeKeepsServing() {
    assertError(http.post("/generate", "{\"inputs\": \"x\", "), 400, "malformed_request", "malformed JSON");
    assertError(http.post("/v1/completions", "[1, 2]"), 400, "malformed_request");
    assertError(http.post("/generate", "{\"inputs\": \"" + "a".repeat(100_000) + "\"}"), 413, "payload_too_large");
    assertError(http.post("/generate", greedyLorax("x", "no-such-adapter", 2)), 404, "not_found", "no-such-adapter");
    ObjectNode unknownModel = obj().put("model", "no-such-model").put("prompt", "x");
    assertError(http.post("/v1/completions", unknownModel), 404, "not_found", "no-such-model");
    assertError(http.post("/generate", greedyLorax("word ".repeat(3000), null, 2)), 422, "invalid_request", "context");
    for (String bad : List.of("{\"temperature\": -0.5}", "{\"top_p\": 0}", "{\"top_p\": 1.5}",
        "{\"max_new_tokens\": 0}", "{\"max_new_tokens\": 100000}", "{\"max_new_tokens\": \"many\"}",
        "{\"repetition_penalty\": 0}")) {
      String body = "{\"inputs\": \"hello\", \"parameters\": " + bad + "}";
      String param = bad.substring(2, bad.indexOf('"', 2));
      assertError(http.post("/generate", body), 422, "invalid_request",
          param.equals("max_new_tokens") && bad.contains("100000") ? "context" : param);
    }
    assertError(http.post("/v1/completions", obj().put("prompt", "x").put("n", 2)), 422, "invalid_request", "n must be 1");
    assertError(http.post("/v1/chat/completions", obj().put("model", "model")), 422, "invalid_request", "messages");
    assertError(http.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], "
        + "\"temperature\": -1}"), 422, "invalid_request", "temperature");
    assertError(http.get("/no/such/path"), 404, "not_found");
    assertError(http.get("/generate"), 405, "method_not_allowed");
    assertEquals(200, http.get("/health").status());
    assertEquals(200, http.post("/generate", greedyLorax("still serving", null, 3)).status());
  }

  @Test
  void adaptersThatDoNotFitTheBaseAreRefusedWithTheProblem() throws IOException {
    Path root = work.resolve("root");
    // Wrong shapes: the config says rank 4, the tensors have rank 8.
    Path shapes = root.resolve("bad-shapes");
    Fixtures.copyTree(Fixtures.adapter("adapter-qv-r8"), shapes);
    Files.writeString(shapes.resolve("adapter_config.json"),
        Files.readString(shapes.resolve("adapter_config.json")).replace("\"r\": 8", "\"r\": 4"));
    // Truncated weights.
    Path truncated = root.resolve("bad-truncated");
    Fixtures.copyTree(Fixtures.adapter("adapter-qv-r8"), truncated);
    try (FileChannel ch = FileChannel.open(truncated.resolve("adapter_model.safetensors"), StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - 100);
    }
    // Rank 32 is above this node's maximum of 16; NaN and Inf values.
    Path rank32 = writeAdapter(root.resolve("bad-rank32"), 32, Float.NaN, false);
    Path nan = writeAdapter(root.resolve("bad-nan"), 4, Float.NaN, true);
    Path inf = writeAdapter(root.resolve("bad-inf"), 4, Float.POSITIVE_INFINITY, true);
    record Case(Path dir, String type, String fragment) {}
    for (Case c : List.of(
        new Case(shapes, "adapter_incompatible", "shape"),
        new Case(truncated, "model_format", "adapter_model.safetensors"),
        new Case(rank32, "adapter_incompatible", "rank 32"),
        new Case(nan, "adapter_incompatible", "NaN"),
        new Case(inf, "adapter_incompatible", "Infinity"))) {
      ObjectNode reg = obj();
      reg.put("id", c.dir().getFileName().toString());
      reg.put("source", c.dir().toString());
      assertError(http.post("/admin/adapters", reg, "Authorization", AUTH), 400, c.type(), c.fragment());
      // A failed registration leaves nothing behind.
      assertError(http.post("/generate", greedyLorax("x", reg.get("id").asText(), 2)), 404, "not_found");
      // The same through a LoRAX on-the-fly source.
      ObjectNode b = greedyLorax("x", c.dir().toString(), 2);
      ((ObjectNode) b.get("parameters")).put("adapter_source", "local");
      assertError(http.post("/generate", b), 400, c.type(), c.fragment());
    }
    assertEquals(200, http.post("/generate", greedyLorax("still serving", "adapter-qv-r8", 3)).status());
  }

  /** A q_proj-only adapter of {@code rank}; with {@code poison}, one weight is {@code bad}. */
  private static Path writeAdapter(Path dir, int rank, float bad, boolean poison) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": " + rank
        + ", \"lora_alpha\": " + rank + ", \"target_modules\": [\"q_proj\"], \"bias\": \"none\"}");
    Random rnd = new Random(rank);
    try (SafetensorsWriter w = new SafetensorsWriter(dir.resolve("adapter_model.safetensors"), Map.of())) {
      for (int layer = 0; layer < 4; layer++) {
        float[] a = new float[rank * 128];
        float[] bw = new float[128 * rank];
        for (int i = 0; i < a.length; i++) {
          a[i] = (float) rnd.nextGaussian() * 0.01f;
          bw[i] = (float) rnd.nextGaussian() * 0.01f;
        }
        if (poison && layer == 2) {
          bw[7] = bad;
        }
        String prefix = "base_model.model.model.layers." + layer + ".self_attn.q_proj.";
        w.add(prefix + "lora_A.weight", DType.F32, new long[] {rank, 128}, a);
        w.add(prefix + "lora_B.weight", DType.F32, new long[] {128, rank}, bw);
      }
    }
    return dir;
  }

  // ------------------------------------------------------------------ disconnect

  @Test
  void aClientThatDisconnectsMidStreamCancelsItsSequence() throws Exception {
    // Several long streams at once, so that no sequence can finish in the moment between its first event and
    // the hang-up (the tiny model alone decodes thousands of tokens a second).
    int streams = 8;
    int maxNew = 2047 - Fixtures.promptIds(0).length;
    String body = HttpTestClient.write(greedyLorax(Fixtures.prompt(0).get("text").asText(), "adapter-qv-r8", maxNew));
    long generatedBefore = nodeStatus().get("engine").get("generated_tokens").asLong();
    URIParts u = new URIParts(node.address());
    List<Socket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < streams; i++) {
        Socket s = new Socket(u.host(), u.port());
        sockets.add(s);
        OutputStream out = s.getOutputStream();
        out.write(("POST /generate_stream HTTP/1.1\r\nHost: " + u.host() + "\r\nContent-Type: application/json\r\n"
            + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
            .getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
      for (Socket s : sockets) {
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        StringBuilder seen = new StringBuilder();
        while (!seen.toString().contains("data: ")) {
          int n = in.read(buf);
          assertTrue(n > 0, "stream ended early: " + seen);
          seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        }
      }
      // Every first token arrived: the sequences run. Hang up now.
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
    // The sockets are closed: the sequences are cancelled and their KV blocks return to the pool.
    long deadline = System.nanoTime() + 20_000_000_000L;
    JsonNode engine = nodeStatus().get("engine");
    while ((engine.get("kv_blocks_used").asInt() != 0 || engine.get("running").asInt() != 0)
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
      engine = nodeStatus().get("engine");
    }
    assertEquals(0, engine.get("kv_blocks_used").asInt(), engine.toString());
    assertEquals(0, engine.get("running").asInt(), engine.toString());
    long generated = engine.get("generated_tokens").asLong() - generatedBefore;
    assertTrue(generated > 0 && generated < (long) streams * maxNew,
        "cancelled after " + generated + " of " + streams * maxNew + " tokens");
    assertTrue(http.get("/metrics").body().contains("lorafleet_generations_total{reason=\"cancelled\"}"));
    // Each cancelled request's pipeline returned its adapter lease once the engine was done with it.
    while (leasesOf("adapter-qv-r8") != 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(0, leasesOf("adapter-qv-r8"));
  }

  /** Requests holding a lease of {@code adapter} on the node now. */
  private int leasesOf(String adapter) {
    for (JsonNode a : nodeStatus().get("adapters")) {
      if (a.get("id").asText().equals(adapter)) {
        return a.get("in_flight").asInt();
      }
    }
    return 0;
  }

  private record URIParts(String host, int port) {
    URIParts(InetSocketAddress a) {
      this(a.getHostString(), a.getPort());
    }
  }
}
