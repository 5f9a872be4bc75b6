package io.lorafleet.runtime.constrain;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A JSON Schema as a regular expression over the JSON text of its instances (as outlines does). The
 * expression describes a subset of the valid instances: properties come in schema order, optional ones
 * may be left out, undeclared ones are never generated, strings use the shortest escapes, numbers have at
 * most 15 integer and 15 fraction digits, and whitespace between tokens is bounded ({@link
 * ConstraintLimits#maxWhitespace()}, none before or after the value). Every keyword outside the supported
 * subset is refused with an error that names it and where it is (JSON Pointer), never ignored.
 *
 * <p>Supported: {@code type} (one or a list), {@code enum}, {@code const}, {@code anyOf}, {@code allOf} of
 * one schema, local {@code $ref} ({@code #/$defs/...}, {@code #/definitions/...}, not recursive);
 * strings with {@code pattern}, {@code minLength}, {@code maxLength}; integers with {@code minimum}, {@code
 * maximum}, {@code exclusiveMinimum}, {@code exclusiveMaximum}; numbers; booleans; null; arrays with
 * {@code items}, {@code minItems}, {@code maxItems} ({@code uniqueItems: false}); objects with {@code
 * properties}, {@code required}, {@code additionalProperties} (false, true, or a schema for the values of
 * an object without {@code properties}); annotations ({@code title}, {@code description}, {@code default},
 * {@code examples}, ...) are ignored. A schema that allows any value ({@code {}}, {@code true}) allows any
 * JSON nested up to {@link ConstraintLimits#freeDepth()} levels.
 */
final class JsonSchemaRegex {
  /** Largest magnitude an integer may have (15 digits: exact in a double). */
  static final long MAX_INTEGER = 999_999_999_999_999L;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> ANNOTATIONS = Set.of("title", "description", "default", "examples", "$schema",
      "$id", "$comment", "deprecated", "readOnly", "writeOnly", "$defs", "definitions");
  private static final Set<String> TYPES = Set.of("string", "integer", "number", "boolean", "null", "array",
      "object");
  private static final Set<String> STRING_KEYWORDS = Set.of("pattern", "minLength", "maxLength");
  private static final Set<String> NUMBER_KEYWORDS = Set.of("minimum", "maximum", "exclusiveMinimum",
      "exclusiveMaximum");
  private static final Set<String> ARRAY_KEYWORDS = Set.of("items", "minItems", "maxItems", "uniqueItems");
  private static final Set<String> OBJECT_KEYWORDS = Set.of("properties", "required", "additionalProperties");
  private static final Set<String> KNOWN = union(ANNOTATIONS, STRING_KEYWORDS, NUMBER_KEYWORDS, ARRAY_KEYWORDS,
      OBJECT_KEYWORDS, Set.of("type", "enum", "const", "anyOf", "allOf", "$ref"));

  private final JsonNode root;
  private final ConstraintLimits limits;
  private final RegexNode ws;
  private final Map<Integer, RegexNode> anyValue = new HashMap<>();
  private final RegexNode stringUnit;
  private final RegexNode anyString;

  private JsonSchemaRegex(JsonNode root, ConstraintLimits limits) {
    this.root = root;
    this.limits = limits;
    this.ws = RegexNode.repeat(RegexNode.chars(CodePointSet.builder().add(' ').add('\t').add('\n').add('\r').build()),
        0, limits.maxWhitespace());
    this.stringUnit = stringUnit();
    this.anyString = RegexNode.seq(RegexNode.text("\""), RegexNode.star(stringUnit), RegexNode.text("\""));
  }

  /** The instances of {@code schema} as a regex. */
  static RegexNode of(JsonNode schema, ConstraintLimits limits) {
    JsonSchemaRegex t = new JsonSchemaRegex(schema, limits);
    return t.value(schema, "#", 0, List.of());
  }

  /** Any JSON object (OpenAI's {@code json_object} mode), nested up to {@link ConstraintLimits#freeDepth()}. */
  static RegexNode anyObject(ConstraintLimits limits) {
    JsonSchemaRegex t = new JsonSchemaRegex(null, limits);
    return t.anyObject(Math.max(1, limits.freeDepth()));
  }

  private ConstraintException error(String path, String problem) {
    return new ConstraintException("JSON Schema at " + path + ": " + problem);
  }

  private RegexNode value(JsonNode s, String path, int depth, List<String> refs) {
    if (depth > limits.maxSchemaDepth()) {
      throw error(path, "nested deeper than " + limits.maxSchemaDepth() + " levels");
    }
    if (s.isBoolean()) {
      if (!s.booleanValue()) {
        throw error(path, "the schema false allows no value");
      }
      return any(limits.freeDepth());
    }
    if (!s.isObject()) {
      throw error(path, "a schema must be an object or a boolean, got " + s.getNodeType().name().toLowerCase());
    }
    for (String name : (Iterable<String>) s::fieldNames) {
      if (!KNOWN.contains(name)) {
        throw error(path, "unsupported keyword \"" + name + "\"");
      }
    }
    if (s.has("$ref")) {
      onlyAnnotationsBeside(s, "$ref", path);
      String ref = text(s, "$ref", path);
      if (refs.contains(ref)) {
        throw error(path, "recursive \"$ref\": \"" + ref + "\" (recursive schemas are not supported)");
      }
      List<String> seen = new ArrayList<>(refs);
      seen.add(ref);
      return value(resolve(ref, path), ref, depth + 1, seen);
    }
    if (s.has("allOf")) {
      onlyAnnotationsBeside(s, "allOf", path);
      JsonNode all = s.get("allOf");
      if (!all.isArray() || all.size() != 1) {
        throw error(path, "\"allOf\" is supported with exactly one schema, got " + (all.isArray() ? all.size() : all));
      }
      return value(all.get(0), path + "/allOf/0", depth + 1, refs);
    }
    if (s.has("anyOf")) {
      onlyAnnotationsBeside(s, "anyOf", path);
      JsonNode any = s.get("anyOf");
      if (!any.isArray() || any.isEmpty()) {
        throw error(path, "\"anyOf\" must be a non-empty list of schemas");
      }
      List<RegexNode> options = new ArrayList<>();
      for (int i = 0; i < any.size(); i++) {
        options.add(value(any.get(i), path + "/anyOf/" + i, depth + 1, refs));
      }
      return RegexNode.alt(options);
    }
    List<String> types = types(s, path);
    if (s.has("const") || s.has("enum")) {
      List<JsonNode> values = new ArrayList<>();
      if (s.has("enum")) {
        JsonNode e = s.get("enum");
        if (!e.isArray() || e.isEmpty()) {
          throw error(path, "\"enum\" must be a non-empty list");
        }
        e.forEach(values::add);
      }
      if (s.has("const")) {
        JsonNode c = s.get("const");
        if (!values.isEmpty() && !values.contains(c)) {
          throw error(path, "\"const\" is not one of \"enum\"");
        }
        values = List.of(c);
      }
      List<RegexNode> options = new ArrayList<>();
      for (JsonNode v : values) {
        if (types.isEmpty() || types.contains(typeOf(v)) || (types.contains("number") && v.isNumber())) {
          options.add(RegexNode.text(compact(v)));
        }
      }
      if (options.isEmpty()) {
        throw error(path, "no value of \"enum\"/\"const\" fits \"type\"");
      }
      return RegexNode.alt(options);
    }
    if (types.isEmpty()) {
      for (String name : (Iterable<String>) s::fieldNames) {
        if (!ANNOTATIONS.contains(name)) {
          throw error(path, "\"" + name + "\" needs a \"type\" beside it");
        }
      }
      return any(limits.freeDepth());
    }
    List<RegexNode> options = new ArrayList<>();
    for (String type : types) {
      options.add(switch (type) {
        case "string" -> string(s, path);
        case "integer" -> integer(s, path);
        case "number" -> number(s, path);
        case "boolean" -> RegexNode.alt(RegexNode.text("true"), RegexNode.text("false"));
        case "null" -> RegexNode.text("null");
        case "array" -> array(s, path, depth, refs);
        case "object" -> object(s, path, depth, refs);
        default -> throw new IllegalStateException(type);
      });
    }
    return RegexNode.alt(options);
  }

  private List<String> types(JsonNode s, String path) {
    JsonNode t = s.get("type");
    List<String> out = new ArrayList<>();
    if (t == null) {
      return out;
    }
    if (t.isTextual()) {
      out.add(t.textValue());
    } else if (t.isArray() && !t.isEmpty()) {
      t.forEach(x -> out.add(x.isTextual() ? x.textValue() : x.toString()));
    } else {
      throw error(path, "\"type\" must be a type name or a non-empty list of them");
    }
    for (String name : out) {
      if (!TYPES.contains(name)) {
        throw error(path, "unknown type \"" + name + "\"");
      }
    }
    if (out.contains("integer") && out.contains("number")) {
      out.remove("integer");
    }
    return List.copyOf(new LinkedHashSet<>(out));
  }

  private void onlyAnnotationsBeside(JsonNode s, String keyword, String path) {
    for (String name : (Iterable<String>) s::fieldNames) {
      if (!name.equals(keyword) && !ANNOTATIONS.contains(name)) {
        throw error(path, "\"" + name + "\" beside \"" + keyword + "\" is not supported");
      }
    }
  }

  private JsonNode resolve(String ref, String path) {
    if (!ref.startsWith("#")) {
      throw error(path, "only local \"$ref\" (#/...) are supported, got \"" + ref + "\"");
    }
    JsonNode target;
    try {
      target = root.at(decodePointer(ref.substring(1), path));
    } catch (IllegalArgumentException e) {
      throw error(path, "bad \"$ref\" \"" + ref + "\"");
    }
    if (target.isMissingNode()) {
      throw error(path, "\"$ref\" \"" + ref + "\" points to nothing");
    }
    return target;
  }

  private String decodePointer(String fragment, String path) {
    try {
      return java.net.URLDecoder.decode(fragment.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw error(path, "bad \"$ref\" \"#" + fragment + "\"");
    }
  }

  private static String typeOf(JsonNode v) {
    if (v.isTextual()) {
      return "string";
    }
    if (v.isIntegralNumber() || (v.isNumber() && v.decimalValue().stripTrailingZeros().scale() <= 0)) {
      return "integer";
    }
    if (v.isNumber()) {
      return "number";
    }
    if (v.isBoolean()) {
      return "boolean";
    }
    if (v.isNull()) {
      return "null";
    }
    return v.isArray() ? "array" : "object";
  }

  private static String compact(JsonNode v) {
    try {
      return JSON.writeValueAsString(v);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private String text(JsonNode s, String keyword, String path) {
    JsonNode v = s.get(keyword);
    if (!v.isTextual()) {
      throw error(path, "\"" + keyword + "\" must be a string");
    }
    return v.textValue();
  }

  /** A non-negative integer keyword, or {@code dflt} when absent. */
  private int count(JsonNode s, String keyword, int dflt, String path) {
    JsonNode v = s.get(keyword);
    if (v == null) {
      return dflt;
    }
    if (!v.canConvertToExactIntegral() || v.asLong() < 0) {
      throw error(path, "\"" + keyword + "\" must be a non-negative integer");
    }
    if (v.asLong() > RegexParser.MAX_REPEAT) {
      throw error(path, "\"" + keyword + "\" above " + RegexParser.MAX_REPEAT + " is not supported");
    }
    return v.intValue();
  }

  // ------------------------------------------------------------------ strings

  /** One character of a JSON string's content: unescaped, a short escape, or a non-surrogate {@code \\uXXXX}. */
  private static RegexNode stringUnit() {
    CodePointSet hex = CodePointSet.builder().add('0', '9').add('a', 'f').add('A', 'F').build();
    RegexNode hexDigit = RegexNode.chars(hex);
    // \\uXXXX without surrogates: the first two digits are not d8..df.
    RegexNode notD = RegexNode.chars(hex.minus(CodePointSet.builder().add('d').add('D').build()));
    RegexNode low = RegexNode.chars(CodePointSet.builder().add('0', '7').build());
    RegexNode u = RegexNode.seq(RegexNode.text("\\u"), RegexNode.alt(
        RegexNode.seq(notD, RegexNode.repeat(hexDigit, 3, 3)),
        RegexNode.seq(RegexNode.chars(CodePointSet.builder().add('d').add('D').build()), low,
            RegexNode.repeat(hexDigit, 2, 2))));
    RegexNode shortEscape = RegexNode.seq(RegexNode.text("\\"),
        RegexNode.chars(CodePointSet.builder().add('"').add('\\').add('/').add('b').add('f').add('n').add('r')
            .add('t').build()));
    return RegexNode.alt(RegexNode.chars(CharClasses.JSON_UNESCAPED), shortEscape, u);
  }

  private RegexNode string(JsonNode s, String path) {
    int min = count(s, "minLength", 0, path);
    int max = s.has("maxLength") ? count(s, "maxLength", 0, path) : RegexNode.UNBOUNDED;
    if (max != RegexNode.UNBOUNDED && max < min) {
      throw error(path, "\"maxLength\" is below \"minLength\"");
    }
    RegexNode length = RegexNode.repeat(stringUnit, min, max);
    RegexNode body = length;
    if (s.has("pattern")) {
      RegexNode pattern = jsonEscaped(RegexParser.parse(text(s, "pattern", path), "JSON Schema at " + path
          + ": \"pattern\""));
      body = min == 0 && max == RegexNode.UNBOUNDED ? pattern : new RegexNode.Both(pattern, length);
    }
    return RegexNode.seq(RegexNode.text("\""), body, RegexNode.text("\""));
  }

  /** The same strings, as they appear inside a JSON string literal (escaped where JSON requires it). */
  static RegexNode jsonEscaped(RegexNode n) {
    return switch (n) {
      case RegexNode.Chars c -> {
        List<RegexNode> options = new ArrayList<>();
        CodePointSet plain = c.set().intersect(CharClasses.JSON_UNESCAPED);
        if (!plain.isEmpty()) {
          options.add(RegexNode.chars(plain));
        }
        CodePointSet special = c.set().minus(CharClasses.JSON_UNESCAPED);
        for (int i = 0; i < special.rangeCount(); i++) {
          for (int cp = special.lo(i); cp <= special.hi(i); cp++) {
            options.add(RegexNode.text(escape(cp)));
          }
        }
        yield options.isEmpty() ? new RegexNode.Alt(List.of()) : RegexNode.alt(options);
      }
      case RegexNode.Text t -> {
        StringBuilder sb = new StringBuilder();
        t.text().codePoints().forEach(cp -> sb.append(CharClasses.JSON_UNESCAPED.contains(cp)
            ? new String(Character.toChars(cp)) : escape(cp)));
        yield RegexNode.text(sb.toString());
      }
      case RegexNode.Concat c -> RegexNode.seq(c.parts().stream().map(JsonSchemaRegex::jsonEscaped).toList());
      case RegexNode.Alt a -> new RegexNode.Alt(a.options().stream().map(JsonSchemaRegex::jsonEscaped).toList());
      case RegexNode.Repeat r -> RegexNode.repeat(jsonEscaped(r.body()), r.min(), r.max());
      case RegexNode.Both b -> new RegexNode.Both(jsonEscaped(b.a()), jsonEscaped(b.b()));
    };
  }

  private static String escape(int cp) {
    return switch (cp) {
      case '"' -> "\\\"";
      case '\\' -> "\\\\";
      case '\n' -> "\\n";
      case '\r' -> "\\r";
      case '\t' -> "\\t";
      case '\b' -> "\\b";
      case '\f' -> "\\f";
      default -> String.format("\\u%04x", cp);
    };
  }

  /** A JSON string's literal for {@code s} (quotes included). */
  static String quoted(String s) {
    return compact(JSON.getNodeFactory().textNode(s));
  }

  // ------------------------------------------------------------------ numbers

  private static final RegexNode DIGIT = RegexNode.chars(CharClasses.DIGIT);
  private static final RegexNode NONZERO = RegexNode.chars(CodePointSet.of('1', '9'));
  private static final RegexNode UNSIGNED = RegexNode.alt(RegexNode.text("0"),
      RegexNode.seq(NONZERO, RegexNode.repeat(DIGIT, 0, 14)));

  private RegexNode number(JsonNode s, String path) {
    for (String k : NUMBER_KEYWORDS) {
      if (s.has(k)) {
        throw error(path, "\"" + k + "\" on a \"number\" is not supported (it is on an \"integer\")");
      }
    }
    RegexNode fraction = RegexNode.optional(RegexNode.seq(RegexNode.text("."), RegexNode.repeat(DIGIT, 1, 15)));
    RegexNode exponent = RegexNode.optional(RegexNode.seq(RegexNode.chars(CodePointSet.builder().add('e').add('E')
        .build()), RegexNode.optional(RegexNode.chars(CodePointSet.builder().add('+').add('-').build())),
        RegexNode.repeat(DIGIT, 1, 2)));
    return RegexNode.seq(RegexNode.optional(RegexNode.text("-")), UNSIGNED, fraction, exponent);
  }

  private RegexNode integer(JsonNode s, String path) {
    long lo = -MAX_INTEGER;
    long hi = MAX_INTEGER;
    if (s.has("minimum")) {
      lo = Math.max(lo, bound(s, "minimum", path).setScale(0, RoundingMode.CEILING).longValue());
    }
    if (s.has("exclusiveMinimum")) {
      JsonNode e = s.get("exclusiveMinimum");
      if (e.isBoolean()) { // draft 4: a flag on minimum
        if (e.booleanValue() && s.has("minimum")) {
          lo = Math.max(lo, bound(s, "minimum", path).setScale(0, RoundingMode.FLOOR).longValue() + 1);
        }
      } else {
        lo = Math.max(lo, bound(s, "exclusiveMinimum", path).setScale(0, RoundingMode.FLOOR).longValue() + 1);
      }
    }
    if (s.has("maximum")) {
      hi = Math.min(hi, bound(s, "maximum", path).setScale(0, RoundingMode.FLOOR).longValue());
    }
    if (s.has("exclusiveMaximum")) {
      JsonNode e = s.get("exclusiveMaximum");
      if (e.isBoolean()) {
        if (e.booleanValue() && s.has("maximum")) {
          hi = Math.min(hi, bound(s, "maximum", path).setScale(0, RoundingMode.CEILING).longValue() - 1);
        }
      } else {
        hi = Math.min(hi, bound(s, "exclusiveMaximum", path).setScale(0, RoundingMode.CEILING).longValue() - 1);
      }
    }
    if (lo > hi) {
      throw error(path, "no integer lies within the bounds");
    }
    return IntegerRanges.of(lo, hi);
  }

  private BigDecimal bound(JsonNode s, String keyword, String path) {
    JsonNode v = s.get(keyword);
    if (!v.isNumber()) {
      throw error(path, "\"" + keyword + "\" must be a number");
    }
    BigDecimal d = v.decimalValue();
    BigDecimal cap = BigDecimal.valueOf(MAX_INTEGER);
    return d.max(cap.negate()).min(cap);
  }

  // ------------------------------------------------------------------ arrays and objects

  private RegexNode array(JsonNode s, String path, int depth, List<String> refs) {
    if (s.has("uniqueItems") && !s.get("uniqueItems").equals(JSON.getNodeFactory().booleanNode(false))) {
      throw error(path, "\"uniqueItems\": " + s.get("uniqueItems") + " is not supported");
    }
    RegexNode item;
    if (s.has("items")) {
      if (s.get("items").isArray()) {
        throw error(path, "\"items\" as a list (tuple validation) is not supported");
      }
      item = value(s.get("items"), path + "/items", depth + 1, refs);
    } else {
      item = any(limits.freeDepth() - 1);
    }
    int min = count(s, "minItems", 0, path);
    int max = s.has("maxItems") ? count(s, "maxItems", 0, path) : RegexNode.UNBOUNDED;
    if (max != RegexNode.UNBOUNDED && max < min) {
      throw error(path, "\"maxItems\" is below \"minItems\"");
    }
    return array(item, min, max);
  }

  private RegexNode array(RegexNode item, int min, int max) {
    if (max == 0) {
      return RegexNode.seq(RegexNode.text("["), ws, RegexNode.text("]"));
    }
    RegexNode more = RegexNode.repeat(RegexNode.seq(ws, RegexNode.text(","), ws, item), Math.max(min - 1, 0),
        max == RegexNode.UNBOUNDED ? RegexNode.UNBOUNDED : max - 1);
    RegexNode items = RegexNode.seq(item, more, ws);
    return RegexNode.seq(RegexNode.text("["), ws, min == 0 ? RegexNode.optional(items) : items, RegexNode.text("]"));
  }

  private RegexNode object(JsonNode s, String path, int depth, List<String> refs) {
    JsonNode props = s.get("properties");
    if (props != null && !props.isObject()) {
      throw error(path, "\"properties\" must be an object");
    }
    Set<String> required = new LinkedHashSet<>();
    if (s.has("required")) {
      JsonNode r = s.get("required");
      if (!r.isArray()) {
        throw error(path, "\"required\" must be a list of property names");
      }
      for (JsonNode n : r) {
        if (!n.isTextual()) {
          throw error(path, "\"required\" must be a list of property names");
        }
        required.add(n.textValue());
      }
    }
    JsonNode additional = s.get("additionalProperties");
    if (additional != null && !additional.isBoolean() && !additional.isObject()) {
      throw error(path, "\"additionalProperties\" must be a boolean or a schema");
    }
    boolean closed = additional != null && additional.isBoolean() && !additional.booleanValue();
    Map<String, RegexNode> members = new LinkedHashMap<>();
    Set<String> optional = new LinkedHashSet<>();
    if (props != null) {
      for (var e : props.properties()) {
        members.put(e.getKey(), value(e.getValue(), path + "/properties/" + escapePointer(e.getKey()), depth + 1,
            refs));
        if (!required.contains(e.getKey())) {
          optional.add(e.getKey());
        }
      }
    }
    boolean declared = props != null && !props.isEmpty();
    for (String name : required) {
      if (!members.containsKey(name)) {
        if (closed) {
          throw error(path, "required property \"" + name + "\" is not in \"properties\" and "
              + "\"additionalProperties\" is false");
        }
        members.put(name, additional != null && additional.isObject()
            ? value(additional, path + "/additionalProperties", depth + 1, refs) : any(limits.freeDepth() - 1));
      }
    }
    if (!declared && required.isEmpty() && !closed) {
      // No properties named: any object, or one whose values follow additionalProperties.
      RegexNode valueNode = additional != null && additional.isObject()
          ? value(additional, path + "/additionalProperties", depth + 1, refs) : any(limits.freeDepth() - 1);
      return map(valueNode);
    }
    // Members in schema order; optional ones may be left out. tail[i]: members i.. after one was written.
    List<String> names = new ArrayList<>(members.keySet());
    int n = names.size();
    RegexNode[] tail = new RegexNode[n + 1];
    RegexNode[] head = new RegexNode[n + 1];
    tail[n] = RegexNode.text("");
    head[n] = RegexNode.text("");
    for (int i = n - 1; i >= 0; i--) {
      String name = names.get(i);
      RegexNode member = RegexNode.seq(RegexNode.text(quoted(name)), ws, RegexNode.text(":"), ws, members.get(name));
      RegexNode withComma = RegexNode.seq(ws, RegexNode.text(","), ws, member);
      boolean opt = optional.contains(name);
      tail[i] = RegexNode.seq(opt ? RegexNode.optional(withComma) : withComma, tail[i + 1]);
      RegexNode here = RegexNode.seq(member, tail[i + 1]);
      head[i] = opt ? RegexNode.alt(here, head[i + 1]) : here;
    }
    return RegexNode.seq(RegexNode.text("{"), ws, head[0], ws, RegexNode.text("}"));
  }

  private static String escapePointer(String name) {
    return name.replace("~", "~0").replace("/", "~1");
  }

  /** An object with any keys whose values are {@code valueNode}. */
  private RegexNode map(RegexNode valueNode) {
    RegexNode member = RegexNode.seq(anyString, ws, RegexNode.text(":"), ws, valueNode);
    RegexNode members = RegexNode.seq(member, RegexNode.star(RegexNode.seq(ws, RegexNode.text(","), ws, member)), ws);
    return RegexNode.seq(RegexNode.text("{"), ws, RegexNode.optional(members), RegexNode.text("}"));
  }

  private RegexNode anyObject(int depth) {
    return map(any(depth - 1));
  }

  /** Any JSON value with containers nested at most {@code depth} deep. */
  private RegexNode any(int depth) {
    int d = Math.max(depth, 0);
    RegexNode cached = anyValue.get(d);
    if (cached != null) {
      return cached;
    }
    List<RegexNode> options = new ArrayList<>(List.of(anyString, number(JSON.createObjectNode(), "#"),
        RegexNode.text("true"), RegexNode.text("false"), RegexNode.text("null")));
    if (d > 0) {
      RegexNode inner = any(d - 1);
      options.add(map(inner));
      options.add(array(inner, 0, RegexNode.UNBOUNDED));
    }
    RegexNode node = RegexNode.alt(options);
    anyValue.put(d, node);
    return node;
  }

  @SafeVarargs
  private static Set<String> union(Set<String>... sets) {
    Set<String> out = new LinkedHashSet<>();
    for (Set<String> s : sets) {
      out.addAll(s);
    }
    return Set.copyOf(out);
  }
}
