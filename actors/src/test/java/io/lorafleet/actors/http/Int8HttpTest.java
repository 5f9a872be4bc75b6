package io.lorafleet.actors.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.actors.node.LoraFleetNode;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.cli.CliInputException;
import io.lorafleet.runtime.engine.EngineConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A node started with {@code lorafleet.engine.quantize = int8} (what {@code serve --quantize int8} sets):
 * LoRAX and OpenAI requests for different adapters and the base model sent at once (so they share decode
 * steps) each get the same tokens as when sent alone, and the full number of them; /admin/node and /info
 * say the weights are int8; an unknown setting stops the node from starting with a message naming it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Int8HttpTest {
  private static final String AUTH = "Bearer " + TestNode.TOKEN;
  private static final int TOKENS = 12;
  private LoraFleetNode node;
  private HttpTestClient http;

  @BeforeAll
  void start() throws IOException {
    node = TestNode.start(Files.createTempDirectory("int8-http"), Map.of("lorafleet.engine.quantize", "int8"),
        EngineConfig.DEFAULTS.withKvCacheBytes(32L << 20).withPrefixCaching(false));
    http = new HttpTestClient(node.url());
  }

  @AfterAll
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  private record Call(String path, ObjectNode body) {}

  private static Call lorax(int prompt, String adapter) {
    ObjectNode b = HttpTestClient.JSON.createObjectNode();
    b.put("inputs", Fixtures.prompt(prompt).get("text").asText());
    ObjectNode p = b.putObject("parameters");
    p.put("max_new_tokens", TOKENS);
    p.put("details", true);
    p.put("ignore_eos_token", true);
    if (adapter != null) {
      p.put("adapter_id", adapter);
    }
    return new Call("/generate", b);
  }

  private static Call completion(int prompt, String model) {
    ObjectNode c = HttpTestClient.JSON.createObjectNode();
    c.put("model", model);
    c.put("prompt", Fixtures.prompt(prompt).get("text").asText());
    c.put("max_tokens", TOKENS);
    c.put("temperature", 0);
    c.put("ignore_eos", true);
    c.put("logprobs", 1);
    return new Call("/v1/completions", c);
  }

  /** The generated token ids (LoRAX details) or text and token logprobs (OpenAI) of a reply. */
  private static String answer(Call call, HttpTestClient.Reply r) {
    assertEquals(200, r.status(), call.path() + ": " + r.body());
    JsonNode j = r.json();
    if (call.path().equals("/generate")) {
      JsonNode tokens = j.get("details").get("tokens");
      assertEquals(TOKENS, tokens.size(), r.body());
      StringBuilder ids = new StringBuilder();
      for (JsonNode t : tokens) {
        ids.append(t.get("id").asInt()).append(' ');
      }
      return ids.toString();
    }
    JsonNode choice = j.get("choices").get(0);
    assertEquals(TOKENS, j.get("usage").get("completion_tokens").asInt(), r.body());
    return choice.get("text").asText() + " | " + choice.get("logprobs").get("token_logprobs");
  }

  @Test
  void aMixedAdapterBatchGivesEachRequestItsOwnAnswer() {
    List<Call> calls = List.of(lorax(0, null), lorax(1, "adapter-all-r16"), lorax(2, "adapter-qv-r8"),
        completion(0, "adapter-mlp-r8"), completion(1, "adapter-kod-r8"), completion(2, "model"),
        lorax(0, "adapter-rslora-r16"));
    List<String> alone = new ArrayList<>();
    for (Call c : calls) {
      alone.add(answer(c, http.post(c.path(), c.body())));
    }
    List<CompletableFuture<HttpTestClient.Reply>> futures = new ArrayList<>();
    for (Call c : calls) {
      futures.add(http.postAsync(c.path(), HttpTestClient.write(c.body())));
    }
    for (int i = 0; i < calls.size(); i++) {
      assertEquals(alone.get(i), answer(calls.get(i), futures.get(i).join()), "request " + i + " in the batch");
    }
    // The adapter changes the answer to the same prompt (the int8 base does not drown it).
    assertTrue(!alone.get(0).equals(alone.get(6)), "base and adapter-rslora-r16 answer prompt 0 alike: " + alone);
  }

  @Test
  void adminNodeAndInfoSayTheWeightsAreInt8() {
    JsonNode n = http.get("/admin/node", "Authorization", AUTH).json();
    assertEquals("int8", n.get("quantize").asText(), n.toString());
    assertTrue(n.get("backend").asText().contains("int8"), n.toString());
    JsonNode info = http.get("/info").json();
    assertTrue(info.get("model_device_type").asText().contains("int8 weights"), info.toString());
  }

  @Test
  void anUnknownQuantizationIsRefusedAtStartWithItsName() {
    var e = assertThrows(CliInputException.class, () -> TestNode.start(Files.createTempDirectory("int8-bad"),
        Map.of("lorafleet.engine.quantize", "int4"), EngineConfig.DEFAULTS.withKvCacheBytes(8L << 20)));
    assertTrue(e.getMessage().contains("lorafleet.engine.quantize = int4"), e.getMessage());
  }
}
