package io.lorafleet.runtime.constrain;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafleet.runtime.errors.InvalidRequestException;
import java.util.List;
import java.util.Objects;

/**
 * What a request's output must look like, as the request gave it (before compilation): any JSON object,
 * a JSON Schema (its compact JSON text) or a regular expression. Plain strings, so it crosses nodes as it is
 * and keys the caches of compiled automata.
 *
 * @param kind   which of the three
 * @param source the schema's JSON text or the regex; empty for {@link Kind#JSON_OBJECT}
 */
public record OutputConstraint(Kind kind, String source) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The kinds of constraint. */
  public enum Kind {
    /** Any JSON object (OpenAI's {@code json_object} mode). */
    JSON_OBJECT("json_object"),
    /** An instance of a JSON Schema. */
    JSON_SCHEMA("json_schema"),
    /** A full match of a regular expression. */
    REGEX("regex");

    private final String wireName;

    Kind(String wireName) {
      this.wireName = wireName;
    }

    public String wireName() {
      return wireName;
    }

    /** The kind with this wire name, or null. */
    public static Kind ofWireName(String name) {
      for (Kind k : values()) {
        if (k.wireName.equals(name)) {
          return k;
        }
      }
      return null;
    }
  }

  public OutputConstraint {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(source, "source");
  }

  public static OutputConstraint jsonObject() {
    return new OutputConstraint(Kind.JSON_OBJECT, "");
  }

  /** A JSON Schema given as parsed JSON (an object or a boolean). */
  public static OutputConstraint jsonSchema(JsonNode schema) {
    if (schema == null || !(schema.isObject() || schema.isBoolean())) {
      throw new InvalidRequestException("a JSON Schema must be a JSON object, got "
          + (schema == null ? "nothing" : schema.getNodeType().name().toLowerCase()));
    }
    try {
      return new OutputConstraint(Kind.JSON_SCHEMA, JSON.writeValueAsString(schema));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A JSON Schema given as JSON text. */
  public static OutputConstraint jsonSchema(String schemaJson) {
    JsonNode n;
    try {
      n = JSON.readTree(schemaJson);
    } catch (JsonProcessingException e) {
      throw new InvalidRequestException("the JSON Schema is not valid JSON: " + e.getOriginalMessage());
    }
    return jsonSchema(n);
  }

  public static OutputConstraint regex(String regex) {
    if (regex.isEmpty()) {
      throw new InvalidRequestException("the regex is empty");
    }
    return new OutputConstraint(Kind.REGEX, regex);
  }

  /** Exactly one of {@code choices} (vLLM's {@code guided_choice}), as a regex of the literal strings. */
  public static OutputConstraint choice(List<String> choices) {
    if (choices.isEmpty()) {
      throw new InvalidRequestException("the list of choices is empty");
    }
    StringBuilder sb = new StringBuilder();
    for (String c : choices) {
      if (c == null || c.isEmpty()) {
        throw new InvalidRequestException("choices must be non-empty strings");
      }
      if (!sb.isEmpty()) {
        sb.append('|');
      }
      c.codePoints().forEach(cp -> sb.append(RegexNode.escapeLiteral(cp)));
    }
    return new OutputConstraint(Kind.REGEX, sb.toString());
  }

  /**
   * An OpenAI-style {@code response_format} object: {@code {"type":"text"}} (null: no constraint), {@code
   * {"type":"json_object"}} (any JSON object; with a {@code "schema"} beside it, LoRAX's form, that schema) or
   * {@code {"type":"json_schema","json_schema":{"name":..,"schema":{..},"strict":..}}} (without a schema: any
   * JSON object, as OpenAI allows).
   *
   * @param field the field's name in errors (e.g. {@code parameters.response_format})
   * @throws InvalidRequestException naming the field when it is none of these
   */
  public static OutputConstraint ofResponseFormat(JsonNode rf, String field) {
    if (!rf.isObject()) {
      throw new InvalidRequestException("field \"" + field + "\" must be an object");
    }
    JsonNode type = rf.get("type");
    if (type == null || !type.isTextual()) {
      throw new InvalidRequestException("field \"" + field + ".type\" must be \"text\", \"json_object\" or "
          + "\"json_schema\"");
    }
    switch (type.textValue()) {
      case "text" -> {
        return null;
      }
      case "json_object" -> {
        JsonNode schema = rf.get("schema");
        return schema == null || schema.isNull() ? jsonObject() : schemaField(schema, field + ".schema");
      }
      case "json_schema" -> {
        JsonNode js = rf.get("json_schema");
        if (js == null || !js.isObject()) {
          throw new InvalidRequestException("field \"" + field + ".json_schema\" must be an object with a \"schema\"");
        }
        JsonNode strict = js.get("strict");
        if (strict != null && !strict.isNull() && !strict.isBoolean()) {
          throw new InvalidRequestException("field \"" + field + ".json_schema.strict\" must be true or false");
        }
        JsonNode schema = js.get("schema");
        return schema == null || schema.isNull() ? jsonObject() : schemaField(schema, field + ".json_schema.schema");
      }
      default -> throw new InvalidRequestException("field \"" + field + ".type\" \"" + type.textValue()
          + "\" is not supported (use \"text\", \"json_object\" or \"json_schema\")");
    }
  }

  /** A schema given as an object or as its JSON text (vLLM accepts both); {@code field} names it in errors. */
  public static OutputConstraint schemaField(JsonNode schema, String field) {
    if (schema != null && schema.isTextual()) {
      return jsonSchema(schema.textValue());
    }
    if (schema == null || !(schema.isObject() || schema.isBoolean())) {
      throw new InvalidRequestException("field \"" + field + "\" must be a JSON Schema object");
    }
    return jsonSchema(schema);
  }

  /** For messages: "JSON Schema", "regex", "JSON object". */
  public String describe() {
    return switch (kind) {
      case JSON_OBJECT -> "JSON object";
      case JSON_SCHEMA -> "JSON Schema";
      case REGEX -> "regex";
    };
  }

  @Override
  public String toString() {
    String s = source.length() <= 60 ? source : source.substring(0, 57) + "...";
    return kind.wireName() + (s.isEmpty() ? "" : ":" + s);
  }
}
