package io.lorafleet.actors.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.actors.node.LoraFleetNode;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.engine.EngineConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import com.sun.net.httpserver.HttpServer;
import io.lorafleet.actors.adapters.AdapterEntity;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What an unauthenticated caller can do to a real node on 127.0.0.1 (issue 12's "Unauthenticated callers"),
 * each with real HTTP requests: bounds checked before anything is allocated, ids and sources that cannot
 * grow state without bound, stop strings that cannot cost more than linear work, token ids that cannot
 * wrap, generations that end with their client or their deadline, and errors that keep internals in.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HardeningHttpTest {
  static final String AUTH = "Bearer " + TestNode.TOKEN;

  private Path work;
  private LoraFleetNode node;
  private HttpTestClient http;
  /**
   * Serves /drip/...: headers at once, then one byte a second; and /slow/...: adapter-qv-r8's files once
   * {@link #slowRelease} opens.
   */
  private HttpServer drip;
  /** Drip responses still being sent (the node has not hung up on them). */
  private final AtomicInteger dripping = new AtomicInteger();
  /** Requests the /slow/ source received. */
  private final AtomicInteger slowHits = new AtomicInteger();
  private volatile CountDownLatch slowRelease = new CountDownLatch(0);
  private Path strictWork;
  /** A second node with tight settings: 300 ms generations, no registration on first use, 2 s downloads, 4 s idle connections. */
  private LoraFleetNode strict;
  private HttpTestClient strictHttp;

  @BeforeAll
  void start() throws IOException {
    work = Files.createTempDirectory("hardening");
    drip = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    drip.setExecutor(Executors.newCachedThreadPool());
    drip.createContext("/drip/", ex -> {
      dripping.incrementAndGet();
      ex.sendResponseHeaders(200, 1000);
      try (OutputStream o = ex.getResponseBody()) {
        for (int i = 0; i < 1000; i++) {
          o.write('{');
          o.flush();
          Thread.sleep(1000);
        }
      } catch (InterruptedException | IOException e) {
        // the node hung up: done
      } finally {
        dripping.decrementAndGet();
      }
    });
    drip.createContext("/slow/", ex -> {
      // A real adapter's files, each once the test releases it.
      slowHits.incrementAndGet();
      try {
        slowRelease.await(60, TimeUnit.SECONDS);
        String path = ex.getRequestURI().getPath();
        byte[] file = Files.readAllBytes(Fixtures.adapter("adapter-qv-r8").resolve(path.substring(path.lastIndexOf('/') + 1)));
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
    drip.start();
    node = TestNode.start(work, new HashMap<>(Map.of("lorafleet.adapters.allowed-urls", List.of(slowBase()))),
        EngineConfig.DEFAULTS.withKvCacheBytes(128L << 20).withMaxWaiting(256));
    http = new HttpTestClient(node.url());
    Map<String, Object> conf = new HashMap<>();
    conf.put("lorafleet.http.generation-timeout", "300ms");
    conf.put("lorafleet.adapters.register-on-first-use", "off");
    conf.put("lorafleet.adapters.download.timeout", "2s");
    conf.put("pekko.http.server.idle-timeout", "4s");
    conf.put("lorafleet.adapters.allowed-urls", List.of(dripBase()));
    strictWork = Files.createTempDirectory("hardening-strict");
    strict = TestNode.start(strictWork, conf, EngineConfig.DEFAULTS.withKvCacheBytes(128L << 20).withMaxWaiting(256));
    strictHttp = new HttpTestClient(strict.url());
  }

  String dripBase() {
    return "http://127.0.0.1:" + drip.getAddress().getPort() + "/drip/";
  }

  String slowBase() {
    return "http://127.0.0.1:" + drip.getAddress().getPort() + "/slow/";
  }

  @AfterAll
  void stop() {
    if (node != null) {
      node.close();
    }
    if (strict != null) {
      strict.close();
    }
    if (drip != null) {
      drip.stop(0);
    }
  }

  static ObjectNode obj() {
    return HttpTestClient.JSON.createObjectNode();
  }

  static ObjectNode lorax(String inputs, String adapter, int maxNew) {
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

  static void assertError(HttpTestClient.Reply r, int status, String type, String... fragments) {
    assertEquals(status, r.status(), r.body());
    JsonNode j = r.json();
    assertEquals(type, j.get("error_type").asText(), r.body());
    for (String f : fragments) {
      assertTrue(j.get("error").asText().contains(f), "error should mention '" + f + "': " + r.body());
    }
  }

  JsonNode engine() {
    HttpTestClient.Reply r = http.get("/admin/node", "Authorization", AUTH);
    assertEquals(200, r.status(), r.body());
    return r.json().get("engine");
  }

  // ------------------------------------------------------------------ 1: max_new_tokens

  @Test
  void hugeMaxNewTokensAreRefusedAgainstTheContextBeforeAnythingIsAllocated() {
    for (long huge : List.of(100_000_000L, 250_000_000L, 2_147_483_647L)) {
      String body = "{\"inputs\": \"hello\", \"parameters\": {\"max_new_tokens\": " + huge + "}}";
      assertError(http.post("/generate", body), 422, "invalid_request", "context");
      assertError(http.post("/generate_stream", body), 422, "invalid_request", "context");
    }
    assertError(http.post("/v1/completions", "{\"prompt\": \"hello\", \"max_tokens\": 2147483640}"), 422,
        "invalid_request", "context");
    assertError(http.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}],"
        + " \"max_tokens\": 2147483647}"), 422, "invalid_request", "context");
    // Right at the limit still runs, streaming and not.
    int room = 2048 - Fixtures.promptIds(0).length;
    HttpTestClient.Reply ok = http.post("/generate", lorax(Fixtures.prompt(0).get("text").asText(), null, room));
    assertEquals(200, ok.status(), ok.body());
    assertEquals(room, ok.json().get("details").get("generated_tokens").asInt());
  }

  // ------------------------------------------------------------------ 5: token ids

  @Test
  void tokenIdsOutsideTheVocabularyOrAnIntAreRefusedNotWrapped() {
    for (String ids : List.of("[4294967301]", "[-1]", "[2147483647]", "[5, 9223372036854775807]", "[5, 1e3]")) {
      HttpTestClient.Reply r = http.post("/v1/completions", "{\"prompt\": " + ids + ", \"max_tokens\": 2}");
      assertEquals(422, r.status(), ids + ": " + r.body());
    }
    assertError(http.post("/v1/completions", "{\"prompt\": [4294967301], \"max_tokens\": 2}"), 422,
        "invalid_request", "4294967301", "vocabulary");
    assertEquals(200, http.post("/v1/completions", "{\"prompt\": [5, 6], \"max_tokens\": 2}").status());
  }

  // ------------------------------------------------------------------ 4: stop strings

  @Test
  void stopStringsAreCappedEachAndTogether() {
    ObjectNode big = lorax("hello", null, 8);
    ArrayNode stops = ((ObjectNode) big.get("parameters")).putArray("stop");
    for (int i = 0; i < 16; i++) {
      stops.add("x".repeat(60_000) + i);
    }
    assertError(http.post("/generate", big), 422, "invalid_request", "256");
    ObjectNode total = lorax("hello", null, 8);
    ArrayNode nine = ((ObjectNode) total.get("parameters")).putArray("stop");
    for (int i = 0; i < 9; i++) {
      nine.add("q".repeat(255) + i);
    }
    assertError(http.post("/generate", total), 422, "invalid_request", "2048");
    // Sixteen stops of the longest size that match nothing: the same tokens as without stops.
    ObjectNode plain = lorax(Fixtures.prompt(1).get("text").asText(), null, 64);
    ObjectNode withStops = plain.deepCopy();
    ArrayNode ok = ((ObjectNode) withStops.get("parameters")).putArray("stop");
    for (int i = 0; i < 8; i++) {
      ok.add("\u2603".repeat(255) + i);
    }
    HttpTestClient.Reply a = http.post("/generate", plain);
    HttpTestClient.Reply b = http.post("/generate", withStops);
    assertEquals(200, b.status(), b.body());
    assertEquals(a.json().get("generated_text"), b.json().get("generated_text"));
  }

  // ------------------------------------------------------------------ 6: client gone, deadline

  @Test
  void aNonStreamingClientThatHangsUpCancelsItsGeneration() throws Exception {
    int clients = 8;
    int maxNew = 2047 - Fixtures.promptIds(0).length;
    String body = HttpTestClient.write(lorax(Fixtures.prompt(0).get("text").asText(), "adapter-qv-r8", maxNew));
    long before = engine().get("generated_tokens").asLong();
    double goneBefore = goneCount("/generate");
    List<Socket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < clients; i++) {
        sockets.add(send(node, "/generate", body));
      }
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (engine().get("running").asInt() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertTrue(engine().get("running").asInt() > 0, "the generations never ran");
    } finally {
      for (Socket s : sockets) {
        s.close(); // like curl -m: the client gives up before the answer
      }
    }
    JsonNode e = awaitIdle();
    long generated = e.get("generated_tokens").asLong() - before;
    assertTrue(generated < (long) clients * maxNew, "cancelled after " + generated + " of " + clients * maxNew);
    // Each request ended too (nothing waits for events of a cancelled generation): counted as client_gone.
    long end = System.nanoTime() + 10_000_000_000L;
    while (goneCount("/generate") - goneBefore < clients && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    assertEquals(clients, goneCount("/generate") - goneBefore, http.get("/metrics").body());
  }

  /** Requests to {@code route} whose client left (status 408 in the request metrics). */
  double goneCount(String route) {
    for (String line : http.get("/metrics").body().split("\n")) {
      if (line.startsWith("lorafleet_http_requests_total{") && line.contains("\"" + route + "\"")
          && line.contains("\"408\"")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }

  @Test
  void aClientThatLeavesWhileItsAdapterLoadsIsAnsweredAtOnceAndItsGenerationNeverRuns() throws Exception {
    String source = slowBase() + "leaving";
    long generatedBefore = awaitIdle().get("generated_tokens").asLong();
    double goneBefore = goneCount("/generate") + goneCount("/generate_stream");
    int hitsBefore = slowHits.get();
    CountDownLatch release = new CountDownLatch(1);
    slowRelease = release;
    String body = HttpTestClient.write(lorax(Fixtures.prompt(0).get("text").asText(), source, 500));
    List<Socket> sockets = new ArrayList<>();
    try {
      sockets.add(send(node, "/generate", body));
      sockets.add(send(node, "/generate_stream", body));
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (slowHits.get() == hitsBefore && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertTrue(slowHits.get() > hitsBefore, "the node never asked the adapter's source");
      Thread.sleep(200); // both requests wait for the load now
    } finally {
      for (Socket s : sockets) {
        s.close(); // like curl -m: the client gives up while its adapter still loads
      }
    }
    // Both requests end while the source still holds the adapter back: nothing waits for the load.
    long end = System.nanoTime() + 20_000_000_000L;
    while (goneCount("/generate") + goneCount("/generate_stream") - goneBefore < 2 && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    assertEquals(2, goneCount("/generate") + goneCount("/generate_stream") - goneBefore, http.get("/metrics").body());
    assertEquals(1, release.getCount(), "the adapter was released before the requests ended");
    release.countDown();
    // The load completes; the cancelled generations never run: a new request's tokens are all the engine made.
    HttpTestClient.Reply next = http.post("/generate", lorax(Fixtures.prompt(0).get("text").asText(), source, 4));
    assertEquals(200, next.status(), next.body());
    JsonNode e = awaitIdle();
    assertEquals(4, e.get("generated_tokens").asLong() - generatedBefore, e.toString());
  }

  @Test
  void aGenerationPastTheNodesDeadlineIsCancelledWithAnError() throws Exception {
    int maxNew = 2047 - Fixtures.promptIds(0).length;
    String text = Fixtures.prompt(0).get("text").asText();
    List<CompletableFuture<HttpTestClient.Reply>> replies = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      replies.add(strictHttp.postAsync(i % 2 == 0 ? "/generate" : "/generate_stream",
          HttpTestClient.write(lorax(text, null, maxNew))));
    }
    int timedOut = 0;
    for (int i = 0; i < replies.size(); i++) {
      HttpTestClient.Reply r = replies.get(i).join();
      if (i % 2 == 0) {
        if (r.status() == 504) {
          assertEquals("timeout", r.json().get("error_type").asText());
          timedOut++;
        } else {
          assertEquals(200, r.status(), r.body());
        }
      } else {
        assertEquals(200, r.status());
        List<JsonNode> events = r.events();
        JsonNode last = events.get(events.size() - 1);
        if (last.has("error_type")) {
          assertEquals("timeout", last.get("error_type").asText(), last.toString());
          timedOut++;
        } else {
          assertTrue(last.get("details") != null && !last.get("details").isNull(), "stream cut silently: " + last);
        }
      }
    }
    assertTrue(timedOut > 0, "no generation reached the 300 ms deadline");
    long end = System.nanoTime() + 10_000_000_000L;
    JsonNode e = strictHttp.get("/admin/node", "Authorization", AUTH).json().get("engine");
    while ((e.get("running").asInt() != 0 || e.get("kv_blocks_used").asInt() != 0) && System.nanoTime() < end) {
      Thread.sleep(20);
      e = strictHttp.get("/admin/node", "Authorization", AUTH).json().get("engine");
    }
    assertEquals(0, e.get("running").asInt(), e.toString());
    assertEquals(0, e.get("kv_blocks_used").asInt(), e.toString());
  }

  // ------------------------------------------------------------------ 2: unknown and oversized ids

  @Test
  void unknownIdsAreAnsweredWithoutStartingAnEntityAndBadIdsAreRefused() throws Exception {
    int before = adapterEntities(node);
    for (int i = 0; i < 100; i++) {
      assertError(http.post("/generate", lorax("x", "no-such-adapter-" + i, 2)), 404, "not_found");
      assertError(http.post("/v1/completions", obj().put("model", "no-such-model-" + i).put("prompt", "x")), 404,
          "not_found");
    }
    assertError(http.post("/generate", lorax("x", "a".repeat(100_000), 2)), 422, "invalid_request", "1-128");
    assertError(http.post("/generate", lorax("x", "a".repeat(129), 2)), 422, "invalid_request", "1-128");
    assertError(http.post("/generate", lorax("x", "bad id!", 2)), 422, "invalid_request");
    assertEquals(before, adapterEntities(node), "requests for unknown ids started adapter entities");
    assertEquals(200, http.post("/generate", lorax("x", "adapter-qv-r8", 2)).status());
  }

  /** Adapter entities running on {@code n} now. */
  static int adapterEntities(LoraFleetNode n) throws Exception {
    ShardRegion.CurrentShardRegionState st = AskPattern.<ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
        ClusterSharding.get(n.system()).shardState(), replyTo -> new GetShardRegionState(AdapterEntity.TYPE_KEY, replyTo),
        Duration.ofSeconds(5), n.system().scheduler()).toCompletableFuture().get();
    return st.getShards().stream().mapToInt(s -> s.getEntityIds().size()).sum();
  }

  // ------------------------------------------------------------------ 3: spellings of one source

  @Test
  void spellingsOfOneSourceAreOneRegistrationAndFailedFirstLoadsAreDropped() throws Exception {
    Path root = work.resolve("root");
    Path good = root.resolve("good");
    Fixtures.copyTree(Fixtures.adapter("adapter-all-r4"), good);
    Files.createDirectories(root.resolve("y"));
    int before = registrations().size();
    String expected = null;
    for (String spelling : List.of(good.toString(), good + "/", root + "//good", root + "/./good", root + "/y/../good")) {
      ObjectNode b = lorax(Fixtures.prompt(0).get("text").asText(), spelling, 8);
      ((ObjectNode) b.get("parameters")).put("adapter_source", "local");
      HttpTestClient.Reply r = http.post("/generate", b);
      assertEquals(200, r.status(), spelling + ": " + r.body());
      if (expected == null) {
        expected = r.json().get("generated_text").asText();
      }
      assertEquals(expected, r.json().get("generated_text").asText());
    }
    List<JsonNode> regs = registrations();
    assertEquals(before + 1, regs.size(), regs.toString());
    assertEquals(1, regs.stream().filter(a -> a.get("source").asText().endsWith("/good")).count(), regs.toString());
    // A source over the length cap.
    ObjectNode longSource = lorax("x", root + "/" + "d".repeat(2000), 2);
    ((ObjectNode) longSource.get("parameters")).put("adapter_source", "local");
    assertError(http.post("/generate", longSource), 422, "invalid_request", "1024");
    // A source whose first load fails leaves no registration.
    Path broken = root.resolve("broken");
    Files.createDirectories(broken);
    Files.writeString(broken.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": 4}");
    ObjectNode b = lorax("x", broken.toString(), 2);
    ((ObjectNode) b.get("parameters")).put("adapter_source", "local");
    assertEquals(400, http.post("/generate", b).status());
    long end = System.nanoTime() + 10_000_000_000L;
    while (registrations().size() != before + 1 && System.nanoTime() < end) {
      Thread.sleep(50);
    }
    assertEquals(before + 1, registrations().size(), registrations().toString());
  }

  @Test
  void registrationOnFirstUseCanBeTurnedOff() {
    ObjectNode b = lorax("x", Fixtures.adapter("adapter-qv-r8").toString(), 2);
    ((ObjectNode) b.get("parameters")).put("adapter_source", "local");
    assertError(strictHttp.post("/generate", b), 404, "not_found");
    HttpTestClient.Reply list = strictHttp.get("/admin/adapters", "Authorization", AUTH);
    assertFalse(list.body().contains("src-"), list.body());
  }

  List<JsonNode> registrations() {
    HttpTestClient.Reply r = http.get("/admin/adapters", "Authorization", AUTH);
    assertEquals(200, r.status(), r.body());
    List<JsonNode> out = new ArrayList<>();
    r.json().get("adapters").forEach(out::add);
    return out;
  }

  // ------------------------------------------------------------------ 7: internals

  @Test
  void unauthenticatedEndpointsAndErrorsKeepPathsAndInternalsIn() throws IOException {
    String fixtures = Fixtures.adapters().toString();
    String info = http.get("/info").body();
    String models = http.get("/v1/models").body();
    assertTrue(info.contains("adapter-qv-r8"), info);
    assertNoLeak(info, "file:", fixtures);
    assertNoLeak(models, "file:", fixtures);
    // Sources stay visible to the admin.
    assertTrue(http.get("/admin/adapters", "Authorization", AUTH).body().contains("file:"));
    // Path errors name the caller's path only: no configured roots, no symlink targets.
    Path outside = Files.createDirectories(work.resolve("outside-secret-dir"));
    Path link = work.resolve("root").resolve("escape");
    if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      Files.createSymbolicLink(link, outside);
    }
    for (String path : List.of("/etc", link.toString(), work.resolve("root").resolve("missing").toString())) {
      ObjectNode b = lorax("x", path, 2);
      ((ObjectNode) b.get("parameters")).put("adapter_source", "local");
      HttpTestClient.Reply r = http.post("/generate", b);
      assertTrue(r.status() == 403 || r.status() == 404, r.body());
      assertNoLeak(r.body(), "outside-secret-dir", Fixtures.adapters().toString(), "[");
    }
    // A 500 carries a reference, not the exception (the log has it).
    ErrorMapping.Problem p = ErrorMapping.problem(new IllegalStateException("secret detail at /srv/internal"));
    assertEquals(500, p.status());
    assertNoLeak(p.message(), "secret", "IllegalStateException", "/srv");
    assertTrue(p.message().contains("reference"), p.message());
    ErrorMapping.Problem oom = ErrorMapping.problem(new OutOfMemoryError("Java heap space"));
    assertNoLeak(oom.message(), "OutOfMemoryError", "heap");
  }

  // ------------------------------------------------------------------ 8: symlinks inside an adapter directory

  @Test
  void filesInsideAnAdapterDirectoryAreNotFollowedThroughSymlinks() throws IOException {
    Path secret = Files.writeString(work.resolve("secret.json"), "{\"peft_type\": TOP-SECRET-CONTENT");
    Path dir = work.resolve("root").resolve("linked-config");
    Fixtures.copyTree(Fixtures.adapter("adapter-qv-r8"), dir);
    Files.delete(dir.resolve("adapter_config.json"));
    Files.createSymbolicLink(dir.resolve("adapter_config.json"), secret);
    Path weights = work.resolve("root").resolve("linked-weights");
    Fixtures.copyTree(Fixtures.adapter("adapter-qv-r8"), weights);
    Files.delete(weights.resolve("adapter_model.safetensors"));
    Files.createSymbolicLink(weights.resolve("adapter_model.safetensors"),
        Fixtures.adapter("adapter-qv-r8").resolve("adapter_model.safetensors"));
    for (Path d : List.of(dir, weights)) {
      ObjectNode b = lorax("x", d.toString(), 2);
      ((ObjectNode) b.get("parameters")).put("adapter_source", "local");
      HttpTestClient.Reply r = http.post("/generate", b);
      assertEquals(400, r.status(), r.body());
      assertTrue(r.body().contains("symbolic link"), r.body());
      assertNoLeak(r.body(), "TOP-SECRET", work.toString());
    }
    // Malformed JSON in a regular file: located, not quoted.
    Path bad = work.resolve("root").resolve("bad-json");
    Fixtures.copyTree(Fixtures.adapter("adapter-qv-r8"), bad);
    Files.writeString(bad.resolve("adapter_config.json"), "{\"peft_type\": QUOTED-CONTENT");
    ObjectNode b = lorax("x", bad.toString(), 2);
    ((ObjectNode) b.get("parameters")).put("adapter_source", "local");
    HttpTestClient.Reply r = http.post("/generate", b);
    assertEquals(400, r.status(), r.body());
    assertNoLeak(r.body(), "QUOTED-CONTENT");
  }

  // ------------------------------------------------------------------ 11: adapter files that are expensive to parse

  @Test
  void adapterRegexesRunInLinearTimeAndHeadersAreCapped() throws IOException {
    Path root = work.resolve("root");
    // Catastrophic for a backtracking engine on every module name; RE2 answers at once.
    for (String field : List.of("\"target_modules\": \"(.*.*.*.*.*.*.*.*.*.*)*X\"",
        "\"target_modules\": [\"q_proj\"], \"rank_pattern\": {\"(.*.*.*.*.*.*.*.*.*.*)*X\": 2}")) {
      Path dir = root.resolve("regex-" + Integer.toHexString(field.hashCode()));
      Fixtures.copyTree(Fixtures.adapter("adapter-qv-r8"), dir);
      Files.writeString(dir.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": 8, \"lora_alpha\": 16, "
          + field + "}");
      ObjectNode b = lorax("x", dir.toString(), 2);
      ((ObjectNode) b.get("parameters")).put("adapter_source", "local");
      HttpTestClient.Reply r = http.post("/generate", b);
      assertTrue(r.status() == 200 || r.status() == 400, r.body());
    }
    // A safetensors header above 4 MiB.
    Path big = root.resolve("big-header");
    Fixtures.copyTree(Fixtures.adapter("adapter-qv-r8"), big);
    int len = 5 << 20;
    byte[] file = new byte[8 + len];
    java.nio.ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(len);
    java.util.Arrays.fill(file, 8, file.length, (byte) ' ');
    file[8] = '{';
    file[file.length - 1] = '}';
    Files.write(big.resolve("adapter_model.safetensors"), file);
    ObjectNode b = lorax("x", big.toString(), 2);
    ((ObjectNode) b.get("parameters")).put("adapter_source", "local");
    assertError(http.post("/generate", b), 400, "model_format", "header length");
    // More tensors than an adapter may have (each a few bytes, so the header stays small).
    Path many = root.resolve("many-tensors");
    Fixtures.copyTree(Fixtures.adapter("adapter-qv-r8"), many);
    StringBuilder header = new StringBuilder("{");
    for (int i = 0; i <= io.lorafleet.runtime.format.SafetensorsFile.MAX_ADAPTER_TENSORS; i++) {
      header.append(i == 0 ? "" : ",").append("\"t").append(i)
          .append("\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}");
    }
    byte[] h = header.append('}').toString().getBytes(StandardCharsets.UTF_8);
    byte[] manyFile = new byte[8 + h.length];
    java.nio.ByteBuffer.wrap(manyFile).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h);
    Files.write(many.resolve("adapter_model.safetensors"), manyFile);
    ObjectNode m = lorax("x", many.toString(), 2);
    ((ObjectNode) m.get("parameters")).put("adapter_source", "local");
    assertError(http.post("/generate", m), 400, "model_format", "at most 8192 tensors");
    // The node serves on.
    assertEquals(200, http.post("/generate", lorax("x", "adapter-qv-r8", 2)).status());
  }

  // ------------------------------------------------------------------ 9: downloads that drip

  @Test
  void aDownloadThatDripsIsCutAtItsDeadlineAndItsLoaderThreadIsFreed() throws Exception {
    // As many dripping downloads at once as the node has loader threads (adapter-loading-dispatcher: 4).
    List<CompletableFuture<HttpTestClient.Reply>> replies = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < 4; i++) {
      ObjectNode reg = obj();
      reg.put("id", "dripping-" + i);
      reg.put("source", dripBase() + "a" + i);
      replies.add(strictHttp.postAsync("/admin/adapters", HttpTestClient.write(reg), "Authorization", AUTH));
    }
    for (CompletableFuture<HttpTestClient.Reply> f : replies) {
      HttpTestClient.Reply r = f.join();
      assertEquals(400, r.status(), r.body());
      assertEquals("adapter_source_unavailable", r.json().get("error_type").asText(), r.body());
      assertTrue(r.body().contains("did not finish within 2 s"), r.body());
      assertTrue(r.body().contains("lorafleet.adapters.download.timeout"), r.body());
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    // A functional bound, not a speed figure: the 2 s deadline, not the 1000 s the server would drip.
    assertTrue(seconds < 30, "took " + seconds + " s");
    // The node hung up on every drip (no loader thread still reads one) ...
    long end = System.nanoTime() + 15_000_000_000L;
    while (dripping.get() != 0 && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    assertEquals(0, dripping.get(), "connections the node still reads from");
    // ... and its loader threads take the next load at once.
    Path good = strictWork.resolve("root").resolve("after-drip");
    Fixtures.copyTree(Fixtures.adapter("adapter-qv-r8"), good);
    ObjectNode reg = obj();
    reg.put("id", "after-drip");
    reg.put("source", good.toString());
    HttpTestClient.Reply r = strictHttp.post("/admin/adapters", reg, "Authorization", AUTH);
    assertEquals(201, r.status(), r.body());
  }

  @Test
  void aDownloadBelowTheMinimumRateIsCutBeforeItsDeadline() throws Exception {
    // The node's fetcher with a 1 s rate window (a node measures over 10 s) and a deadline far away.
    io.lorafleet.actors.adapters.AdapterFetcher fetcher = new io.lorafleet.actors.adapters.AdapterFetcher(
        new io.lorafleet.actors.adapters.SourcePolicy(List.of(), List.of(dripBase())),
        Files.createTempDirectory("hardening-rate"), 1 << 20, Duration.ofSeconds(120), 64 * 1024, Duration.ofSeconds(1));
    io.lorafleet.actors.adapters.AdapterSource slow = new io.lorafleet.actors.adapters.AdapterSource(
        io.lorafleet.actors.adapters.AdapterSource.Kind.URL, dripBase() + "rate");
    long t0 = System.nanoTime();
    io.lorafleet.actors.adapters.AdapterSourceException e = org.junit.jupiter.api.Assertions.assertThrows(
        io.lorafleet.actors.adapters.AdapterSourceException.class, () -> fetcher.fetch("rate", slow));
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertTrue(e.getMessage().contains("too slow") && e.getMessage().contains("below the minimum of 65536"),
        e.getMessage());
    assertTrue(seconds < 60, "took " + seconds + " s: cut by the deadline, not the rate");
    assertFalse(Thread.currentThread().isInterrupted());
    long end = System.nanoTime() + 15_000_000_000L;
    while (dripping.get() != 0 && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    assertEquals(0, dripping.get(), "the fetcher still reads the slow download");
  }

  // ------------------------------------------------------------------ 10: idle connections, keep-alive

  @Test
  void idleConnectionsAreClosedAndSilentStreamsSendKeepAlives() throws Exception {
    Duration idle = com.typesafe.config.ConfigFactory.load().getDuration("pekko.http.server.idle-timeout");
    assertTrue(idle.compareTo(Duration.ofSeconds(60)) <= 0, "idle timeout " + idle);
    // The strict node closes a connection that sends nothing after its 4 s idle timeout.
    try (Socket s = new Socket(strict.address().getHostString(), strict.address().getPort())) {
      s.setSoTimeout(20_000); // a SocketTimeoutException here: the idle connection stayed open
      int read;
      try {
        read = s.getInputStream().read();
      } catch (java.net.SocketException reset) {
        read = -1; // closed by the server with a reset
      }
      assertEquals(-1, read, "the idle connection stayed open");
    }
    // A stream with nothing to say for a while sends SSE comments (which clients ignore) meanwhile.
    org.apache.pekko.http.javadsl.model.HttpResponse r = HttpResponses.eventStream(
        org.apache.pekko.stream.javadsl.Source.<org.apache.pekko.util.ByteString>maybe()
            .mapMaterializedValue(m -> org.apache.pekko.NotUsed.getInstance()), Duration.ofMillis(200));
    String sent = r.entity().getDataBytes().takeWithin(Duration.ofMillis(1100))
        .runFold("", (acc, b) -> acc + b.utf8String(), node.system()).toCompletableFuture().get();
    assertTrue(sent.startsWith(": keep-alive\n\n") && sent.split("keep-alive").length - 1 >= 3, sent);
  }

  // ------------------------------------------------------------------ 18: the disk cache

  @Test
  void theDiskCacheIsPrivateAndKeyedByIdAndSource() throws Exception {
    // The node made its cache directory private when it started (before: created 0755 at the first download).
    assertEquals(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"),
        Files.getPosixFilePermissions(work.resolve("cache")));
    // A cache directory that belongs to another user is refused at start.
    Path foreign = Files.createTempDirectory("foreign-cache");
    Files.setOwner(foreign, foreign.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
    Map<String, Object> conf = new HashMap<>();
    conf.put("lorafleet.adapters.cache.disk-dir", foreign.toString());
    Path w = Files.createTempDirectory("hardening-foreign");
    io.lorafleet.runtime.cli.CliInputException refused = org.junit.jupiter.api.Assertions.assertThrows(
        io.lorafleet.runtime.cli.CliInputException.class, () -> TestNode.start(w, conf, EngineConfig.DEFAULTS));
    assertTrue(refused.getMessage().contains("nobody"), refused.getMessage());
    // One id registered again with another source never finds the first source's files.
    io.lorafleet.actors.adapters.AdapterFetcher fetcher = new io.lorafleet.actors.adapters.AdapterFetcher(
        new io.lorafleet.actors.adapters.SourcePolicy(List.of(), List.of()), work.resolve("cache"), 1 << 20,
        Duration.ofSeconds(1));
    io.lorafleet.actors.adapters.AdapterSource a = new io.lorafleet.actors.adapters.AdapterSource(
        io.lorafleet.actors.adapters.AdapterSource.Kind.URL, "http://127.0.0.1:1/lora/a");
    io.lorafleet.actors.adapters.AdapterSource b = new io.lorafleet.actors.adapters.AdapterSource(
        io.lorafleet.actors.adapters.AdapterSource.Kind.URL, "http://127.0.0.1:1/lora/b");
    assertFalse(fetcher.dirFor("k", a).equals(fetcher.dirFor("k", b)));
    assertEquals(fetcher.dirFor("k", a), fetcher.dirFor("k", a));
  }

  /** Waits until nothing runs and no KV block is used; returns the engine's stats then. */
  JsonNode awaitIdle() throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    JsonNode e = engine();
    while ((e.get("kv_blocks_used").asInt() != 0 || e.get("running").asInt() != 0) && System.nanoTime() < deadline) {
      Thread.sleep(20);
      e = engine();
    }
    assertEquals(0, e.get("running").asInt(), e.toString());
    assertEquals(0, e.get("kv_blocks_used").asInt(), e.toString());
    return e;
  }

  /** Sends a POST on a raw socket (no reading): the caller closes it to hang up. */
  static Socket send(LoraFleetNode n, String path, String body) throws IOException {
    Socket s = new Socket(n.address().getHostString(), n.address().getPort());
    OutputStream out = s.getOutputStream();
    out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
        + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
    out.flush();
    return s;
  }

  static String readSome(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    byte[] buf = new byte[8192];
    int n = in.read(buf);
    return n <= 0 ? "" : new String(buf, 0, n, StandardCharsets.UTF_8);
  }

  static void assertNoLeak(String body, String... secrets) {
    for (String secret : secrets) {
      assertFalse(body.contains(secret), "leaks '" + secret + "': " + body);
    }
  }
}
