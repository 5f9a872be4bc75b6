package io.lorafleet.actors.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorafleet.runtime.constrain.OutputConstraint;
import io.lorafleet.runtime.errors.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;

/**
 * The request fields that constrain the output, per API, as one {@link OutputConstraint} for {@link
 * io.lorafleet.runtime.engine.SamplingParams#constraint()} (compiled, and refused with 422 when it cannot be
 * honoured, by the {@code SamplingParams} constructor). A form this server does not implement is refused, never
 * ignored; so is more than one constraint in one request.
 *
 * <ul>
 *   <li>OpenAI: {@code response_format} {@code {"type":"text"}}, {@code {"type":"json_object"}} (any JSON
 *       object; with a {@code "schema"} beside it, LoRAX's variant, that schema), {@code
 *       {"type":"json_schema","json_schema":{"name":..,"schema":{..},"strict":..}}}; vLLM's extensions
 *       {@code guided_json} (a schema, as an object or JSON text), {@code guided_regex}, {@code
 *       guided_choice} (a list of strings).
 *   <li>LoRAX: {@code parameters.response_format} {@code {"type":"json_object","schema":{..}}} (no schema:
 *       any JSON object), also the OpenAI {@code json_schema} form and {@code {"type":"text"}}; the TGI
 *       {@code parameters.grammar} {@code {"type":"json","value":{..}}} / {@code {"type":"regex","value":".."}}.
 * </ul>
 */
final class OutputConstraintFields {
  private OutputConstraintFields() {}

  /** The constraint of an OpenAI (completions or chat) request, or null. */
  static OutputConstraint openAi(RequestFields body) {
    List<String> given = new ArrayList<>();
    OutputConstraint c = null;
    JsonNode rf = body.raw("response_format");
    if (rf != null) {
      c = OutputConstraint.ofResponseFormat(rf, "response_format");
      if (c != null) {
        given.add("response_format");
      }
    }
    for (String refused : List.of("guided_grammar", "guided_whitespace_pattern")) {
      if (body.has(refused)) {
        throw new InvalidRequestException("\"" + refused + "\" is not supported by this server (constraints: "
            + "response_format, guided_json, guided_regex, guided_choice, structured_outputs)");
      }
    }
    RequestFields so = body.object("structured_outputs");
    JsonNode soRaw = body.raw("structured_outputs");
    if (soRaw != null) {
      soRaw.fieldNames().forEachRemaining(key -> {
        if (!List.of("json", "regex", "choice").contains(key)) {
          throw new InvalidRequestException("\"structured_outputs." + key + "\" is not supported by this server "
              + "(json, regex, choice are)");
        }
      });
    }
    if (so.raw("json") != null) {
      given.add("structured_outputs.json");
      c = OutputConstraint.schemaField(so.raw("json"), "structured_outputs.json");
    }
    if (so.string("regex") != null) {
      given.add("structured_outputs.regex");
      c = OutputConstraint.regex(so.string("regex"));
    }
    if (so.raw("choice") != null) {
      given.add("structured_outputs.choice");
      c = OutputConstraint.choice(strings(so.raw("choice"), "structured_outputs.choice"));
    }
    JsonNode json = body.raw("guided_json");
    if (json != null) {
      given.add("guided_json");
      c = OutputConstraint.schemaField(json, "guided_json");
    }
    String regex = body.string("guided_regex");
    if (regex != null) {
      given.add("guided_regex");
      c = OutputConstraint.regex(regex);
    }
    JsonNode choice = body.raw("guided_choice");
    if (choice != null) {
      given.add("guided_choice");
      c = OutputConstraint.choice(strings(choice, "guided_choice"));
    }
    if (given.size() > 1) {
      throw new InvalidRequestException("give one output constraint, not " + String.join(" and ", given));
    }
    return c;
  }

  /** The constraint of a LoRAX {@code /generate} request's {@code parameters}, or null. */
  static OutputConstraint lorax(RequestFields parameters) {
    JsonNode rf = parameters.raw("response_format");
    JsonNode grammar = parameters.raw("grammar");
    OutputConstraint c = rf == null ? null : OutputConstraint.ofResponseFormat(rf, "parameters.response_format");
    if (grammar != null) {
      if (c != null) {
        throw new InvalidRequestException("give one output constraint, not parameters.response_format and "
            + "parameters.grammar");
      }
      c = grammar(grammar);
    }
    return c;
  }

  private static OutputConstraint grammar(JsonNode g) {
    if (!g.isObject() || !g.path("type").isTextual()) {
      throw new InvalidRequestException("field \"parameters.grammar\" must be {\"type\": \"json\" or \"regex\", "
          + "\"value\": ...}");
    }
    JsonNode value = g.get("value");
    return switch (g.get("type").textValue()) {
      case "json", "json_schema" -> OutputConstraint.schemaField(value, "parameters.grammar.value");
      case "regex" -> {
        if (value == null || !value.isTextual()) {
          throw new InvalidRequestException("field \"parameters.grammar.value\" must be a regex string");
        }
        yield OutputConstraint.regex(value.textValue());
      }
      default -> throw new InvalidRequestException("parameters.grammar type \"" + g.get("type").textValue()
          + "\" is not supported (use \"json\" or \"regex\")");
    };
  }

  private static List<String> strings(JsonNode n, String field) {
    if (!n.isArray()) {
      throw new InvalidRequestException("field \"" + field + "\" must be a list of strings");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : n) {
      if (!e.isTextual()) {
        throw new InvalidRequestException("field \"" + field + "\" must be a list of strings");
      }
      out.add(e.textValue());
    }
    return out;
  }
}
