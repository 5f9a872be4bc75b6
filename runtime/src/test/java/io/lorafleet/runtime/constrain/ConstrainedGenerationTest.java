package io.lorafleet.runtime.constrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.backend.BackendConfig;
import io.lorafleet.runtime.engine.EngineConfig;
import io.lorafleet.runtime.engine.FinishReason;
import io.lorafleet.runtime.engine.GenerateRequest;
import io.lorafleet.runtime.engine.GenerationListener;
import io.lorafleet.runtime.engine.GenerationResult;
import io.lorafleet.runtime.engine.LoadedModel;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.engine.TokenOutput;
import io.lorafleet.runtime.errors.LoraFleetException;
import io.lorafleet.runtime.model.LoraAdapter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Constrained decoding end to end on the fixture model (random weights, so the model itself knows nothing
 * about JSON: every valid output is the masks' doing). Outputs are checked with a real JSON Schema validator
 * (networknt, draft 2020-12) and a real JSON parser.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConstrainedGenerationTest {
  static final int SAMPLES = 200;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonSchemaFactory VALIDATORS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

  static final String CHARACTER = """
      {"type":"object","title":"Character",
       "properties":{"name":{"type":"string","maxLength":10},
                     "age":{"type":"integer","minimum":1,"maximum":99},
                     "armor":{"$ref":"#/$defs/Armor"},
                     "strength":{"type":"integer"}},
       "required":["name","age","armor"],
       "$defs":{"Armor":{"enum":["leather","chainmail","plate"],"type":"string"}}}""";
  static final String RECORD = """
      {"type":"object",
       "properties":{"id":{"type":"string","pattern":"^[A-Z]{2}-[0-9]{3}$"},
                     "tags":{"type":"array","items":{"type":"string","minLength":1,"maxLength":6},"maxItems":3},
                     "meta":{"type":"object","properties":{"ok":{"type":"boolean"},
                             "note":{"anyOf":[{"type":"string","maxLength":8},{"type":"null"}]}},
                             "required":["ok"],"additionalProperties":false},
                     "score":{"type":"number"},
                     "flag":{"type":["boolean","null"]}},
       "required":["id","meta","score"],"additionalProperties":false}""";
  static final String NUMBERS = """
      {"type":"array","items":{"type":"number"},"minItems":1,"maxItems":4}""";

  private LoadedModel le;
  private final List<LoraAdapter> adapters = new ArrayList<>();
  private int[] prompt;

  @BeforeAll
  void open() {
    le = LoadedModel.open(Fixtures.model(), "cpu", new BackendConfig(2, 0),
        EngineConfig.DEFAULTS.withKvCacheBytes(64L << 20).withMaxNumSeqs(64).withMaxWaiting(1000));
    for (String name : Fixtures.adapterNames()) {
      adapters.add(le.loadAdapter(name, Fixtures.adapter(name), 0));
    }
    prompt = Fixtures.promptIds(0);
  }

  @AfterAll
  void close() {
    le.close();
  }

  private Map<String, GenerationResult> run(List<GenerateRequest> requests) {
    Map<String, GenerationResult> results = new LinkedHashMap<>();
    Map<String, LoraFleetException> errors = new HashMap<>();
    for (GenerateRequest r : requests) {
      le.engine().submit(r, new GenerationListener() {
        @Override
        public void onToken(String requestId, TokenOutput token) {}

        @Override
        public void onFinish(GenerationResult result) {
          results.put(result.requestId(), result);
        }

        @Override
        public void onError(String requestId, LoraFleetException error) {
          errors.put(requestId, error);
        }
      });
    }
    le.engine().runUntilIdle();
    assertTrue(errors.isEmpty(), () -> "errors: " + errors);
    assertEquals(requests.size(), results.size());
    return results;
  }

  private List<String> sample(OutputConstraint c, int n, int maxNewTokens) {
    List<GenerateRequest> reqs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      SamplingParams p = SamplingParams.builder().maxNewTokens(maxNewTokens).temperature(1.0).seed((long) i)
          .constraint(c).skipSpecialTokens(true).build();
      reqs.add(new GenerateRequest("s" + i, prompt, i % 3 == 0 ? null : adapters.get(i % adapters.size()), p));
    }
    List<String> texts = new ArrayList<>();
    for (GenerationResult r : run(reqs).values()) {
      assertEquals(FinishReason.EOS, r.finishReason(), () -> "did not complete: " + r.text());
      texts.add(r.text());
    }
    return texts;
  }

  static void assertValid(String schema, List<String> texts) throws Exception {
    JsonSchema validator = VALIDATORS.getSchema(schema);
    for (String t : texts) {
      JsonNode parsed = JSON.readTree(t);
      var errors = validator.validate(parsed);
      assertTrue(errors.isEmpty(), () -> "invalid " + t + ": " + errors);
    }
  }

  @Test
  void seededSamplesOfACharacterSchemaAreAllValid() throws Exception {
    List<String> texts = sample(OutputConstraint.jsonSchema(CHARACTER), SAMPLES, 200);
    assertValid(CHARACTER, texts);
    assertTrue(texts.stream().distinct().count() > SAMPLES / 2, "samples differ");
  }

  @Test
  void seededSamplesOfANestedSchemaAreAllValid() throws Exception {
    List<String> texts = sample(OutputConstraint.jsonSchema(RECORD), SAMPLES, 300);
    assertValid(RECORD, texts);
  }

  @Test
  void seededSamplesOfAnArraySchemaAreAllValid() throws Exception {
    List<String> texts = sample(OutputConstraint.jsonSchema(NUMBERS), SAMPLES, 200);
    assertValid(NUMBERS, texts);
  }

  @Test
  void seededSamplesOfARegexAllMatch() {
    String regex = "(yes|no|maybe): [a-z]{1,8}( [0-9]{2})?";
    Pattern p = Pattern.compile(regex);
    for (String t : sample(OutputConstraint.regex(regex), SAMPLES, 64)) {
      assertTrue(p.matcher(t).matches(), t);
    }
  }

  @Test
  void greedyWithASchemaThatAllowsOneStringGivesIt() {
    String only = "Lorem ipsum \u00e9t\u00e9 \"quoted\" \u65e5\u672c";
    String schema = "{\"const\":" + JsonSchemaRegex.quoted(only) + "}";
    SamplingParams p = SamplingParams.builder().maxNewTokens(100).constraint(OutputConstraint.jsonSchema(schema))
        .skipSpecialTokens(true).build();
    GenerationResult r = run(List.of(new GenerateRequest("one", prompt, null, p))).get("one");
    assertEquals(JsonSchemaRegex.quoted(only), r.text());
    assertEquals(FinishReason.EOS, r.finishReason());
  }

  @Test
  void unconstrainedRowsOfAMixedBatchKeepTheirReferenceTokens() throws Exception {
    List<GenerateRequest> reqs = new ArrayList<>();
    List<JsonNode> refs = new ArrayList<>();
    int i = 0;
    for (JsonNode g : Fixtures.reference().get("generations")) {
      String adapter = g.get("adapter").isNull() ? null : g.get("adapter").asText();
      LoraAdapter a = adapter == null ? null : adapters.stream().filter(x -> x.id().equals(adapter)).findFirst()
          .orElseThrow();
      int[] ids = Fixtures.promptIds(g.get("prompt").asInt());
      reqs.add(new GenerateRequest("free" + i, ids, a, SamplingParams.builder().maxNewTokens(24).ignoreEos(true)
          .build()));
      refs.add(g);
      String schema = i % 2 == 0 ? CHARACTER : RECORD;
      reqs.add(new GenerateRequest("json" + i, ids, a, SamplingParams.builder().maxNewTokens(300)
          .temperature(i % 3 == 0 ? 0 : 0.8).seed((long) i).constraint(OutputConstraint.jsonSchema(schema)).build()));
      i++;
    }
    Map<String, GenerationResult> results = run(reqs);
    for (int k = 0; k < refs.size(); k++) {
      assertArrayEquals(Fixtures.ints(refs.get(k).get("token_ids")), results.get("free" + k).tokenIds(),
          "unconstrained row " + k);
      GenerationResult c = results.get("json" + k);
      assertEquals(FinishReason.EOS, c.finishReason(), c.text());
      assertValid(k % 2 == 0 ? CHARACTER : RECORD, List.of(c.text()));
    }
  }

  @Test
  void unsupportedKeywordsAreRefusedAtSubmitNamingThem() {
    // SamplingParams compiles its constraint when it is made: the refusal comes before anything is queued.
    ConstraintException e = assertThrows(ConstraintException.class,
        () -> le.engine().submit(new GenerateRequest("bad", prompt, null, SamplingParams.builder().constraint(
            OutputConstraint.jsonSchema("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\","
                + "\"format\":\"email\"}}}")).build()), new GenerationListener() {
          @Override
          public void onToken(String requestId, TokenOutput token) {}

          @Override
          public void onFinish(GenerationResult result) {}
        }));
    assertTrue(e.getMessage().contains("\"format\""), e.getMessage());
    assertTrue(e.getMessage().contains("#/properties/a"), e.getMessage());
    assertEquals(0, le.engine().stats().waiting(), "nothing was queued");
  }
}
