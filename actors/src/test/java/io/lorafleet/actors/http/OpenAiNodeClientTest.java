package io.lorafleet.actors.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorafleet.actors.node.LoraFleetNode;
import io.lorafleet.runtime.engine.EngineConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The official openai npm package, unmodified, against a real node (src/test/node; ./test runs npm ci). */
class OpenAiNodeClientTest {
  private static final Path SCRIPT_DIR = Path.of("src", "test", "node").toAbsolutePath();

  private static boolean nodeAvailable() {
    try {
      Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Test
  void theOfficialOpenAiClientTalksToTheNode() throws Exception {
    assumeTrue(nodeAvailable(), "skipped: the `node` command is not installed, so the openai npm client cannot run");
    assertTrue(Files.isDirectory(SCRIPT_DIR.resolve("node_modules").resolve("openai")),
        "run `npm ci` in " + SCRIPT_DIR + " (./test does) to install the openai package");
    try (LoraFleetNode node = TestNode.start(Files.createTempDirectory("openai-client"), Map.of(),
        EngineConfig.DEFAULTS.withKvCacheBytes(32L << 20))) {
      checkClient(run(node, null));
    }
  }

  /**
   * With API keys on, the client's {@code apiKey} is all it takes: a key issued through the admin API works for
   * every call, an adapter of another tenant is absent from the model list, and a wrong key is a 401.
   */
  @Test
  void theOfficialOpenAiClientWithAnApiKey() throws Exception {
    assumeTrue(nodeAvailable(), "skipped: the `node` command is not installed, so the openai npm client cannot run");
    assertTrue(Files.isDirectory(SCRIPT_DIR.resolve("node_modules").resolve("openai")),
        "run `npm ci` in " + SCRIPT_DIR + " (./test does) to install the openai package");
    Map<String, Object> conf = Map.of("lorafleet.tenants.api-keys", true,
        "lorafleet.tenants.adapter-owners", Map.of("adapter-qv-r8", "someone-else"));
    try (LoraFleetNode node = TestNode.start(Files.createTempDirectory("openai-client-key"), conf,
        EngineConfig.DEFAULTS.withKvCacheBytes(32L << 20))) {
      HttpTestClient http = new HttpTestClient(node.url());
      HttpTestClient.Reply issued = http.post("/admin/tenants/keys", Map.of("tenant", "npm-tenant"),
          "Authorization", "Bearer " + TestNode.TOKEN);
      assertEquals(201, issued.status(), issued.body());
      Map<String, JsonNode> results = run(node, issued.json().get("key").asText());
      checkClient(results);
      List<String> ids = new java.util.ArrayList<>();
      results.get("models").get("ids").forEach(id -> ids.add(id.asText()));
      assertTrue(!ids.contains("adapter-qv-r8"), "another tenant's adapter is not listed: " + ids);
      assertEquals(401, results.get("unauthorized").get("status").asInt(), results.get("unauthorized").toString());
      assertEquals("invalid_api_key", results.get("unauthorized").get("code").asText(),
          results.get("unauthorized").toString());
    }
  }

  private static Map<String, JsonNode> run(LoraFleetNode node, String apiKey) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("node", "openai-client.mjs", node.url() + "/v1",
        "adapter-all-r16"));
    if (apiKey != null) {
      cmd.add(apiKey);
    }
    Process p = new ProcessBuilder(cmd).directory(SCRIPT_DIR.toFile()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "node did not finish");
    assertEquals(0, p.exitValue(), output);
    Map<String, JsonNode> results = new HashMap<>();
    for (String line : output.split("\n")) {
      if (line.startsWith("{")) {
        JsonNode j = HttpTestClient.JSON.readTree(line);
        results.put(j.get("kind").asText(), j);
      }
    }
    results.put("_output", HttpTestClient.JSON.getNodeFactory().textNode(output));
    return results;
  }

  private static void checkClient(Map<String, JsonNode> results) throws Exception {
    {
      String output = results.get("_output").asText();
      assertTrue(results.keySet().containsAll(
          List.of("models", "completion", "chat", "chat_stream", "completion_stream", "error", "json_schema",
              "json_object", "unsupported_schema")), output);

      List<String> ids = new java.util.ArrayList<>();
      results.get("models").get("ids").forEach(id -> ids.add(id.asText()));
      assertTrue(ids.contains("model") && ids.contains("adapter-all-r16"), ids.toString());

      JsonNode completion = results.get("completion");
      assertEquals("text_completion", completion.get("object").asText());
      assertEquals(8, completion.get("tokens").asInt());
      assertEquals(12, completion.get("usage").get("prompt_tokens").asInt(), "the reference prompt 0 is 12 tokens");
      JsonNode chat = results.get("chat");
      assertEquals("chat.completion", chat.get("object").asText());
      assertEquals("assistant", chat.get("role").asText());
      // Greedy: the streamed answers equal the whole ones.
      assertEquals(chat.get("content").asText(), results.get("chat_stream").get("content").asText(), output);
      assertEquals(chat.get("finish_reason").asText(), results.get("chat_stream").get("finish_reason").asText());
      assertEquals(completion.get("text").asText(), results.get("completion_stream").get("text").asText(), output);
      assertEquals(completion.get("usage").get("completion_tokens").asInt(),
          results.get("completion_stream").get("usage").get("completion_tokens").asInt());
      assertEquals(404, results.get("error").get("status").asInt(), output);
      // Structured output through the client's response_format.
      JsonNode person = HttpTestClient.JSON.readTree(results.get("json_schema").get("content").asText());
      assertEquals("stop", results.get("json_schema").get("finish_reason").asText(), output);
      assertTrue(person.get("name").isTextual() && person.get("name").asText().length() <= 10
          && person.get("age").isInt() && person.size() == 2, person.toString());
      JsonNode jsonMode = results.get("json_object");
      if (jsonMode.get("finish_reason").asText().equals("stop")) {
        assertTrue(HttpTestClient.JSON.readTree(jsonMode.get("content").asText()).isObject(), output);
      } else {
        assertTrue(jsonMode.get("content").asText().startsWith("{"), output);
      }
      assertEquals(422, results.get("unsupported_schema").get("status").asInt(), output);
      assertTrue(results.get("unsupported_schema").get("message").asText().contains("format"), output);
      assertTrue(results.get("error").get("message").asText().contains("no-such-adapter"), output);
    }
  }
}
