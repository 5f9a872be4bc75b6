package io.lorafleet.tools.gpubench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.lorafleet.tools.synthetic.SyntheticTokenizer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP side against a stand-in for {@code lorafleet serve} that answers LoRAX's {@code /generate} the
 * way the synthetic tokenizer counts (one token per word plus BOS): every adapter is used once before the
 * figures, requests name the adapters by their registered names, and the figures come out.
 */
class HttpBenchTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private HttpServer server;
  private final Set<String> adaptersSeen = ConcurrentHashMap.newKeySet();
  private final AtomicInteger generates = new AtomicInteger();
  private volatile int extraPromptTokens;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/health", ex -> reply(ex, 200, "{}"));
    server.createContext("/info", ex -> reply(ex, 200,
        "{\"model_id\":\"model\",\"model_device_type\":\"stub\",\"preloaded_adapters\":[{},{},{}]}"));
    server.createContext("/generate", this::generate);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private void generate(HttpExchange ex) throws IOException {
    JsonNode body = JSON.readTree(ex.getRequestBody());
    String inputs = body.path("inputs").asText();
    JsonNode p = body.path("parameters");
    if (!p.path("ignore_eos_token").asBoolean() || !p.path("details").asBoolean()) {
      reply(ex, 422, "{\"error\":\"the benchmark must ask for ignore_eos_token and details\"}");
      return;
    }
    for (String word : inputs.split(" ")) {
      if (!word.matches("t\\d+") || Integer.parseInt(word.substring(1)) <= SyntheticTokenizer.EOS_ID) {
        reply(ex, 422, "{\"error\":\"not a synthetic token: " + word + "\"}");
        return;
      }
    }
    adaptersSeen.add(p.path("adapter_id").asText());
    generates.incrementAndGet();
    ObjectNode out = JSON.createObjectNode();
    out.put("generated_text", "t5");
    ObjectNode d = out.putObject("details");
    d.put("prompt_tokens", inputs.split(" ").length + 1 + extraPromptTokens);
    d.put("generated_tokens", p.path("max_new_tokens").asInt());
    reply(ex, 200, out.toString());
  }

  private static void reply(HttpExchange ex, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length);
    try (var os = ex.getResponseBody()) {
      os.write(b);
    }
  }

  private BenchManifest manifest(int adapters) {
    List<BenchManifest.Adapter> list = new ArrayList<>();
    for (int i = 0; i < adapters; i++) {
      list.add(new BenchManifest.Adapter(String.format("lora-%02d", i), "/nowhere/lora-" + i));
    }
    return new BenchManifest("tiny", "/nowhere/model", 32000, SyntheticTokenizer.BOS_ID, 16, "BF16",
        List.of("q_proj"), list);
  }

  private HttpBench.Settings settings(GpuBenchWorkload w) {
    return new HttpBench.Settings(w, URI.create("http://127.0.0.1:" + server.getAddress().getPort()),
        Duration.ofSeconds(20), 3, Duration.ofSeconds(10));
  }

  private static GpuBenchWorkload workload() {
    return new GpuBenchWorkload(70, 10, 4, 12, List.of(1, 8), 6, 4, 8, 10, 5, 4, 6);
  }

  @Test
  void measuresThroughTheServer() throws InterruptedException {
    List<SystemResult> progress = new ArrayList<>();
    SystemResult r = new HttpBench(manifest(8), settings(workload()), progress::add).run();
    assertEquals(Set.of("lora-00", "lora-01", "lora-02", "lora-03", "lora-04", "lora-05", "lora-06", "lora-07"),
        adaptersSeen, "every adapter was used (the warm-up) under its registered name");
    assertEquals("lorafleet-http", r.system());
    assertEquals(List.of(1, 4, 8), r.latency().stream().map(SystemResult.LatencyFigure::adapters).toList());
    assertEquals(12, r.latencyAt(4).requests());
    assertEquals(6, r.latencyAt(8).requests());
    assertTrue(r.latencyAt(4).p50Ms() > 0 && r.latencyAt(4).p99Ms() >= r.latencyAt(4).p50Ms());
    assertEquals(10, r.throughput().requests());
    assertEquals(50, r.throughput().generatedTokens());
    assertTrue(r.throughput().tokensPerS() > 0);
    assertNull(r.decode(), "decode steps are the engine's figure");
    assertEquals("stub", r.environment().get("backend"));
    assertEquals("3", r.environment().get("registered_adapters"));
    assertTrue(r.notes().getFirst().contains("each of the 8 adapters was used once"), r.notes().toString());
    assertTrue(progress.size() >= 4, "the figures are handed on after every phase");
    // 1 check + 7 warm-up + 3 x 5 warm-ups + 12 + 6 + 6 latency + 10 throughput
    assertEquals(1 + 7 + 15 + 24 + 10, generates.get());
  }

  @Test
  void aServerThatCountsOtherTokensIsRefused() {
    extraPromptTokens = 1;
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> new HttpBench(manifest(2), settings(workload()), r -> {}).run());
    assertTrue(e.getMessage().contains("tokenizer"), e.getMessage());
  }

  @Test
  void promptTextIsTheSyntheticTokenizersWords() {
    assertEquals("t5 t17", Prompts.text(new int[] {SyntheticTokenizer.BOS_ID, 5, 17}));
    Prompts p = new Prompts(1, 32000, SyntheticTokenizer.BOS_ID);
    int[] ids = p.next(70);
    assertEquals(70, ids.length);
    assertEquals(69, Prompts.text(ids).split(" ").length);
  }
}
