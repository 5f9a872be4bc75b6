package io.lorafleet.actors.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.lorafleet.actors.node.LoraFleetNode;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.engine.EngineConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Structured output through the real HTTP server (LoRAX and OpenAI APIs) on the fixture model: JSON mode,
 * JSON Schema, regex and choice constraints are honoured (checked with a JSON Schema validator), and every
 * form the server cannot honour is refused with 422 naming the problem instead of being ignored.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StructuredOutputHttpTest {
  private static final JsonSchemaFactory VALIDATORS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
  private static final String PERSON = """
      {"type":"object","properties":{"name":{"type":"string","minLength":1,"maxLength":12},
        "age":{"type":"integer","minimum":0,"maximum":120},"email":{"type":"string","pattern":"^[a-z]{1,8}@[a-z]{1,8}\\\\.(com|org)$"},
        "pets":{"type":"array","items":{"enum":["cat","dog","fish"]},"maxItems":3}},
       "required":["name","age"],"additionalProperties":false}""";

  private Path work;
  private LoraFleetNode node;
  private HttpTestClient http;

  @BeforeAll
  void start() throws IOException {
    work = Files.createTempDirectory("structured-output");
    node = TestNode.start(work, Map.of(), EngineConfig.DEFAULTS.withKvCacheBytes(64L << 20).withMaxWaiting(256));
    http = new HttpTestClient(node.url());
  }

  @AfterAll
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  private static ObjectNode obj() {
    return HttpTestClient.JSON.createObjectNode();
  }

  private static JsonNode parse(String s) {
    try {
      return HttpTestClient.JSON.readTree(s);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + s, e);
    }
  }

  private static void assertValid(String schema, String text) {
    JsonSchema v = VALIDATORS.getSchema(schema);
    var errors = v.validate(parse(text));
    assertTrue(errors.isEmpty(), () -> "invalid " + text + ": " + errors);
  }

  private static void assertError(HttpTestClient.Reply r, int status, String... fragments) {
    assertEquals(status, r.status(), r.body());
    String message = r.json().get("error").asText();
    for (String f : fragments) {
      assertTrue(message.contains(f), "error should mention '" + f + "': " + r.body());
    }
  }

  private ObjectNode chat(String model, int maxTokens, long seed) {
    ObjectNode b = obj();
    b.put("model", model);
    b.putArray("messages").addObject().put("role", "user").put("content", "Describe a person as JSON.");
    b.put("max_tokens", maxTokens);
    b.put("temperature", 1.0);
    b.put("seed", seed);
    return b;
  }

  @Test
  void jsonModeOfTheOpenAiClientIsHonouredNotIgnored() {
    // What the python openai client sends for response_format={"type": "json_object"}.
    for (long seed = 0; seed < 8; seed++) {
      ObjectNode b = chat("adapter-qv-r8", 400, seed);
      b.putObject("response_format").put("type", "json_object");
      HttpTestClient.Reply r = http.post("/v1/chat/completions", b);
      assertEquals(200, r.status(), r.body());
      JsonNode choice = r.json().get("choices").get(0);
      String content = choice.get("message").get("content").asText();
      if (choice.get("finish_reason").asText().equals("stop")) {
        assertTrue(parse(content).isObject(), content);
      } else {
        // Cut by max_tokens: still the beginning of an object.
        assertTrue(content.startsWith("{"), content);
      }
    }
  }

  @Test
  void openAiJsonSchemaThroughCompletionsAndChatWholeAndStreamed() {
    for (boolean chat : List.of(false, true)) {
      for (long seed = 0; seed < 6; seed++) {
        ObjectNode b = chat ? chat(seed % 2 == 0 ? "adapter-all-r4" : "model", 300, seed) : obj();
        if (!chat) {
          b.put("model", "adapter-mlp-r8");
          b.put("prompt", Fixtures.prompt(1).get("text").asText());
          b.put("max_tokens", 300);
          b.put("temperature", 0.9);
          b.put("seed", seed);
        }
        ObjectNode js = b.putObject("response_format").put("type", "json_schema").putObject("json_schema");
        js.put("name", "person");
        js.put("strict", true);
        js.set("schema", parse(PERSON));
        String path = chat ? "/v1/chat/completions" : "/v1/completions";
        HttpTestClient.Reply whole = http.post(path, b);
        assertEquals(200, whole.status(), whole.body());
        JsonNode c = whole.json().get("choices").get(0);
        String text = chat ? c.get("message").get("content").asText() : c.get("text").asText();
        assertEquals("stop", c.get("finish_reason").asText(), text);
        assertValid(PERSON, text);
        b.put("stream", true);
        HttpTestClient.Reply streamed = http.post(path, b);
        assertEquals(200, streamed.status(), streamed.body());
        List<JsonNode> events = streamed.events();
        assertNull(events.getLast());
        StringBuilder sb = new StringBuilder();
        for (JsonNode e : events.subList(0, events.size() - 1)) {
          JsonNode ch = e.get("choices").get(0);
          JsonNode piece = chat ? ch.get("delta").get("content") : ch.get("text");
          if (piece != null) {
            sb.append(piece.asText());
          }
        }
        assertEquals(text, sb.toString(), "the stream carries the same (seeded) answer");
      }
    }
  }

  @Test
  void loraxResponseFormatWithASchemaAndWithout() {
    for (long seed = 0; seed < 6; seed++) {
      ObjectNode b = obj();
      b.put("inputs", Fixtures.prompt(0).get("text").asText());
      ObjectNode p = b.putObject("parameters");
      p.put("adapter_id", seed % 2 == 0 ? "adapter-kod-r8" : "adapter-rslora-r16");
      p.put("max_new_tokens", 300);
      p.put("do_sample", true);
      p.put("seed", seed);
      p.put("details", true);
      ObjectNode rf = p.putObject("response_format");
      rf.put("type", "json_object");
      rf.set("schema", parse(PERSON));
      HttpTestClient.Reply r = http.post("/generate", b);
      assertEquals(200, r.status(), r.body());
      String text = r.json().get("generated_text").asText();
      assertValid(PERSON, text);
      assertEquals("eos_token", r.json().get("details").get("finish_reason").asText());
      HttpTestClient.Reply s = http.post("/generate_stream", b);
      assertEquals(200, s.status(), s.body());
      JsonNode last = s.events().getLast();
      assertEquals(text, last.get("generated_text").asText());
    }
    // TGI's grammar parameter, regex kind.
    ObjectNode b = obj();
    b.put("inputs", "Answer:");
    ObjectNode p = b.putObject("parameters");
    p.put("max_new_tokens", 40);
    p.putObject("grammar").put("type", "regex").put("value", "(red|green|blue)-[0-9]{2}");
    HttpTestClient.Reply r = http.post("/generate", b);
    assertEquals(200, r.status(), r.body());
    assertTrue(Pattern.matches("(red|green|blue)-[0-9]{2}", r.json().get("generated_text").asText()), r.body());
  }

  @Test
  void vllmGuidedRegexChoiceAndJson() {
    ObjectNode b = obj();
    b.put("model", "model");
    b.put("prompt", "The colour is");
    b.put("max_tokens", 30);
    b.put("temperature", 1.0);
    b.put("seed", 7);
    b.put("guided_regex", "#[0-9a-f]{6}");
    HttpTestClient.Reply r = http.post("/v1/completions", b);
    assertEquals(200, r.status(), r.body());
    assertTrue(Pattern.matches("#[0-9a-f]{6}", r.json().get("choices").get(0).get("text").asText()), r.body());
    b.remove("guided_regex");
    b.putArray("guided_choice").add("positive").add("negative").add("neutral \"quoted\"");
    r = http.post("/v1/completions", b);
    assertEquals(200, r.status(), r.body());
    assertTrue(List.of("positive", "negative", "neutral \"quoted\"").contains(
        r.json().get("choices").get(0).get("text").asText()), r.body());
    b.remove("guided_choice");
    b.put("guided_json", "{\"type\":\"array\",\"items\":{\"type\":\"boolean\"},\"minItems\":2,\"maxItems\":2}");
    b.put("max_tokens", 60);
    r = http.post("/v1/completions", b);
    assertEquals(200, r.status(), r.body());
    JsonNode arr = parse(r.json().get("choices").get(0).get("text").asText());
    assertTrue(arr.isArray() && arr.size() == 2 && arr.get(0).isBoolean(), r.body());
    b.remove("guided_json");
    b.putObject("structured_outputs").putArray("choice").add("A").add("B");
    r = http.post("/v1/completions", b);
    assertEquals(200, r.status(), r.body());
    assertTrue(List.of("A", "B").contains(r.json().get("choices").get(0).get("text").asText()), r.body());
  }

  @Test
  void constrainedAndFreeRequestsForDifferentAdaptersRunTogether() throws Exception {
    List<String> names = new ArrayList<>(Fixtures.adapterNames());
    List<CompletableFuture<HttpTestClient.Reply>> free = new ArrayList<>();
    List<CompletableFuture<HttpTestClient.Reply>> constrained = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      ObjectNode f = obj();
      f.put("inputs", Fixtures.prompt(0).get("text").asText());
      ObjectNode fp = f.putObject("parameters");
      fp.put("adapter_id", names.get(i));
      fp.put("max_new_tokens", 24);
      fp.put("details", true);
      fp.put("ignore_eos_token", true);
      free.add(http.postAsync("/generate", HttpTestClient.write(f)));
      ObjectNode c = chat(names.get((i + 1) % names.size()), 300, i);
      c.putObject("response_format").put("type", "json_schema").putObject("json_schema").put("name", "p")
          .set("schema", parse(PERSON));
      constrained.add(http.postAsync("/v1/chat/completions", HttpTestClient.write(c)));
    }
    for (int i = 0; i < names.size(); i++) {
      HttpTestClient.Reply r = free.get(i).get();
      assertEquals(200, r.status(), r.body());
      JsonNode tokens = r.json().get("details").get("tokens");
      int[] ids = new int[tokens.size()];
      for (int t = 0; t < ids.length; t++) {
        ids[t] = tokens.get(t).get("id").asInt();
      }
      assertArrayEquals(Fixtures.ints(Fixtures.generation(0, names.get(i)).get("token_ids")), ids, names.get(i));
      HttpTestClient.Reply c = constrained.get(i).get();
      assertEquals(200, c.status(), c.body());
      assertValid(PERSON, c.json().get("choices").get(0).get("message").get("content").asText());
    }
  }

  @Test
  void whatCannotBeHonouredIsRefusedWith422AndTheNodeKeepsServing() {
    ObjectNode b = chat("model", 20, 1);
    b.putObject("response_format").put("type", "json_schema").putObject("json_schema").put("name", "x")
        .set("schema", parse("{\"type\":\"object\",\"properties\":{\"when\":{\"type\":\"string\",\"format\":\"date\"}}}"));
    assertError(http.post("/v1/chat/completions", b), 422, "\"format\"", "#/properties/when");
    b.putObject("response_format").put("type", "xml");
    assertError(http.post("/v1/chat/completions", b), 422, "xml");
    b.remove("response_format");
    b.put("guided_grammar", "root ::= \"a\"");
    assertError(http.post("/v1/chat/completions", b), 422, "guided_grammar");
    b.remove("guided_grammar");
    b.put("guided_regex", "(a)\\1");
    assertError(http.post("/v1/chat/completions", b), 422, "backreference");
    b.put("guided_choice", HttpTestClient.JSON.createArrayNode().add("x"));
    assertError(http.post("/v1/chat/completions", b), 422, "one output constraint");
    b.remove("guided_choice");
    // Exponential determinization is stopped, not waited for.
    b.put("guided_regex", "(a|b)*a(a|b){40}");
    long t0 = System.nanoTime();
    assertError(http.post("/v1/chat/completions", b), 422, "too complex");
    assertTrue(System.nanoTime() - t0 < 30_000_000_000L);
    b.put("guided_regex", "x".repeat(40_000));
    assertError(http.post("/v1/chat/completions", b), 422, "at most");
    b.remove("guided_regex");
    ObjectNode l = obj();
    l.put("inputs", "hi");
    l.putObject("parameters").putObject("response_format").put("type", "json_object")
        .set("schema", parse("{\"type\":\"object\",\"oneOf\":[{\"required\":[\"a\"]}]}"));
    assertError(http.post("/generate", l), 422, "\"oneOf\"");
    // Still serving.
    b.put("guided_regex", "ok");
    HttpTestClient.Reply r = http.post("/v1/chat/completions", b);
    assertEquals(200, r.status(), r.body());
    assertEquals("ok", r.json().get("choices").get(0).get("message").get("content").asText());
  }
}
