package io.lorafleet.runtime.constrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** JSON Schemas compiled to DFAs: which JSON texts they accept, and which keywords they refuse. */
class JsonSchemaCompilationTest {
  private final ConstraintCompiler compiler = new ConstraintCompiler(ConstraintLimits.DEFAULTS, 16 << 20);

  private ByteDfa schema(String json) {
    return compiler.compile(OutputConstraint.jsonSchema(json));
  }

  private static void accepts(ByteDfa d, String... texts) {
    for (String t : texts) {
      assertTrue(d.matches(t.getBytes(StandardCharsets.UTF_8)), () -> d + " should accept " + t);
    }
  }

  private static void rejects(ByteDfa d, String... texts) {
    for (String t : texts) {
      assertFalse(d.matches(t.getBytes(StandardCharsets.UTF_8)), () -> d + " should reject " + t);
    }
  }

  @Test
  void objectsWithRequiredAndOptionalPropertiesInOrder() {
    ByteDfa d = schema("""
        {"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"},"c":{"type":"boolean"}},
         "required":["b"]}""");
    accepts(d, "{\"b\":\"x\"}", "{\"a\":1,\"b\":\"\"}", "{\"a\":-7,\"b\":\"q\",\"c\":true}", "{\"b\":\"\",\"c\":false}",
        "{ \"a\" : 0 ,\n  \"b\": \"\\n\\u00e9\\\"\"\n}", "{\"b\":\"\u65e5\u672c\"}");
    rejects(d, "{}", "{\"a\":1}", "{\"b\":\"x\",\"a\":1}", "{\"b\":\"x\",}", "{\"b\":\"x\"} ", " {\"b\":\"x\"}",
        "{\"a\":01,\"b\":\"x\"}", "{\"b\":\"x\",\"d\":1}", "{\"b\":\"\u0001\"}", "{\"b\":\"\\x\"}",
        "{\"b\":\"x\"" + " ".repeat(9) + "}");
  }

  @Test
  void whitespaceBetweenTokensIsBounded() {
    ByteDfa d = schema("{\"type\":\"array\",\"items\":{\"type\":\"null\"}}");
    accepts(d, "[]", "[null]", "[" + " ".repeat(8) + "null" + "\n".repeat(8) + "]", "[null,\tnull]");
    rejects(d, "[" + " ".repeat(9) + "null]", "[null" + " ".repeat(9) + "]");
  }

  @Test
  void stringsWithLengthPatternAndEnum() {
    ByteDfa d = schema("{\"type\":\"string\",\"minLength\":2,\"maxLength\":3}");
    accepts(d, "\"ab\"", "\"abc\"", "\"\\n\\t\"", "\"\u00e9\u00e9\u00e9\"", "\"\\u00e9x\"");
    rejects(d, "\"a\"", "\"abcd\"", "\"\\ud800x\"");
    d = schema("{\"type\":\"string\",\"pattern\":\"^[a-z]+\\\"q\\\\\\\\$\",\"maxLength\":5}");
    // The pattern is about the decoded string: a quote and a backslash appear escaped in JSON.
    accepts(d, "\"ab\\\"q\\\\\"");
    rejects(d, "\"abc\\\"q\\\\\"", "\"ab\"q\\\\\"");
    d = schema("{\"enum\":[\"red\",\"green\",3,null,{\"k\":[1]}]}");
    accepts(d, "\"red\"", "\"green\"", "3", "null", "{\"k\":[1]}");
    rejects(d, "\"blue\"", "\"red \"", "4");
    d = schema("{\"type\":\"string\",\"enum\":[\"a\",1]}");
    accepts(d, "\"a\"");
    rejects(d, "1");
    d = schema("{\"const\":\"only\"}");
    accepts(d, "\"only\"");
  }

  @Test
  void numbersAndIntegerRanges() {
    ByteDfa n = schema("{\"type\":\"number\"}");
    accepts(n, "0", "-0", "1.5", "-12.25e+10", "3E2", "123456789012345");
    rejects(n, "01", "1.", ".5", "+1", "1e", "1234567890123456", "NaN");
    ByteDfa d = schema("{\"type\":\"integer\",\"minimum\":-15,\"exclusiveMaximum\":123.5}");
    for (int v = -300; v <= 300; v++) {
      boolean in = v >= -15 && v <= 123;
      assertEquals(in, d.matches(Integer.toString(v).getBytes(StandardCharsets.UTF_8)), "value " + v);
    }
    rejects(d, "007", "-0", "1.0");
    ByteDfa big = schema("{\"type\":\"integer\",\"exclusiveMinimum\":99999}");
    accepts(big, "100000", "999999999999999");
    rejects(big, "99999", "1000000000000000", "-5");
  }

  @Test
  void arraysAnyOfRefsAndNullableTypes() {
    ByteDfa d = schema("""
        {"$defs":{"Item":{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}},
         "type":"array","items":{"anyOf":[{"$ref":"#/$defs/Item"},{"type":["string","null"]}]},
         "minItems":1,"maxItems":2}""");
    accepts(d, "[{\"id\":1}]", "[null,\"x\"]", "[\"a\", {\"id\":2}]");
    rejects(d, "[]", "[1,2,3]", "[{\"id\":1},null,null]", "[true]");
  }

  @Test
  void freeFormValuesAreAnyJsonNestedToTheDepthLimit() {
    ByteDfa any = compiler.compile(OutputConstraint.jsonObject());
    accepts(any, "{}", "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}", "{\"x\":{\"y\":{\"z\":1}}}");
    rejects(any, "[]", "1", "{\"x\":{\"y\":{\"z\":{\"w\":1}}}}", "{\"a\":}");
    ByteDfa map = schema("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}}");
    accepts(map, "{}", "{\"a\":1,\"b\":2}");
    rejects(map, "{\"a\":\"x\"}");
  }

  @Test
  void unsupportedKeywordsAreRefusedNamingTheKeywordAndWhere() {
    for (var c : List.of(
        List.of("{\"type\":\"string\",\"format\":\"email\"}", "\"format\"", "#"),
        List.of("{\"type\":\"object\",\"properties\":{\"a\":{\"oneOf\":[{\"type\":\"string\"}]}}}", "\"oneOf\"",
            "#/properties/a"),
        List.of("{\"type\":\"object\",\"patternProperties\":{\"^a\":{}}}", "\"patternProperties\"", "#"),
        List.of("{\"type\":\"array\",\"uniqueItems\":true}", "uniqueItems", "#"),
        List.of("{\"type\":\"array\",\"items\":{\"not\":{}}}", "\"not\"", "#/items"),
        List.of("{\"type\":\"number\",\"minimum\":0}", "\"minimum\" on a \"number\"", "#"),
        List.of("{\"allOf\":[{\"type\":\"string\"},{\"maxLength\":3}]}", "allOf", "#"),
        List.of("{\"$ref\":\"#\"}", "recursive", "#"),
        List.of("{\"$ref\":\"https://example.com/s.json\"}", "only local", "#"),
        List.of("{\"type\":\"object\",\"required\":[\"x\"],\"additionalProperties\":false}", "required property", "#"),
        List.of("{\"minLength\":3}", "needs a \"type\"", "#"),
        List.of("{\"type\":\"strin\"}", "unknown type", "#"),
        List.of("false", "allows no value", "#"))) {
      ConstraintException e = assertThrows(ConstraintException.class, () -> schema(c.get(0)), c.get(0));
      assertTrue(e.getMessage().contains(c.get(1)) && e.getMessage().contains("JSON Schema at " + c.get(2)),
          () -> c.get(0) + ": " + e.getMessage());
    }
    var e = assertThrows(io.lorafleet.runtime.errors.InvalidRequestException.class, () -> schema("{\"type\":"));
    assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
  }

  @Test
  void largeButReasonableSchemasCompile() {
    StringBuilder props = new StringBuilder();
    StringBuilder required = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      props.append(i > 0 ? "," : "").append("\"field").append(i).append("\":{\"type\":\"")
          .append(List.of("string", "integer", "boolean", "number").get(i % 4)).append("\"}");
      if (i % 2 == 0) {
        required.append(required.isEmpty() ? "" : ",").append("\"field").append(i).append('"');
      }
    }
    ByteDfa d = schema("{\"type\":\"object\",\"properties\":{" + props + "},\"required\":[" + required + "]}");
    assertTrue(d.numStates() < ConstraintLimits.DEFAULTS.maxDfaStates(), d.toString());
    ByteDfa longString = schema("{\"type\":\"string\",\"maxLength\":1000}");
    accepts(longString, "\"" + "x".repeat(1000) + "\"");
    rejects(longString, "\"" + "x".repeat(1001) + "\"");
  }
}
