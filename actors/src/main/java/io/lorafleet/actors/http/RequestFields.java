package io.lorafleet.actors.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.runtime.engine.PriorityClass;
import io.lorafleet.runtime.errors.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed, optional access to the fields of a JSON request object; a field of the wrong type is an
 * {@link InvalidRequestException} naming it. JSON null counts as absent.
 */
final class RequestFields {
  static final ObjectMapper JSON = new ObjectMapper();

  private final ObjectNode node;
  private final String prefix;

  private RequestFields(ObjectNode node, String prefix) {
    this.node = node;
    this.prefix = prefix;
  }

  /** Parses a request body; anything but a JSON object is a {@link MalformedRequestException}. */
  static RequestFields parse(byte[] body) {
    JsonNode n;
    try {
      n = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new MalformedRequestException("malformed JSON: " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw new MalformedRequestException("malformed JSON: " + e.getMessage());
    }
    if (n == null || n.isMissingNode()) {
      throw new MalformedRequestException("malformed JSON: the request body is empty");
    }
    if (!n.isObject()) {
      throw new MalformedRequestException("malformed JSON: the request body must be a JSON object");
    }
    return new RequestFields((ObjectNode) n, "");
  }

  JsonNode raw(String name) {
    JsonNode v = node.get(name);
    return v == null || v.isNull() ? null : v;
  }

  boolean has(String name) {
    return raw(name) != null;
  }

  private InvalidRequestException wrong(String name, String what) {
    return new InvalidRequestException("field \"" + prefix + name + "\" must be " + what);
  }

  /** The nested object {@code name}, or an empty one. */
  RequestFields object(String name) {
    JsonNode v = raw(name);
    if (v == null) {
      return new RequestFields(JSON.createObjectNode(), prefix + name + ".");
    }
    if (!v.isObject()) {
      throw wrong(name, "an object");
    }
    return new RequestFields((ObjectNode) v, prefix + name + ".");
  }

  String string(String name) {
    JsonNode v = raw(name);
    if (v == null) {
      return null;
    }
    if (!v.isTextual()) {
      throw wrong(name, "a string");
    }
    return v.textValue();
  }

  String requiredString(String name) {
    String s = string(name);
    if (s == null) {
      throw new InvalidRequestException("field \"" + prefix + name + "\" is required");
    }
    return s;
  }

  Integer integer(String name) {
    JsonNode v = raw(name);
    if (v == null) {
      return null;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      if (v.isNumber() && v.asDouble() == Math.rint(v.asDouble()) && Math.abs(v.asDouble()) < Integer.MAX_VALUE) {
        return (int) v.asDouble();
      }
      throw wrong(name, "an integer");
    }
    return v.intValue();
  }

  Long longValue(String name) {
    JsonNode v = raw(name);
    if (v == null) {
      return null;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw wrong(name, "an integer");
    }
    return v.longValue();
  }

  Double number(String name) {
    JsonNode v = raw(name);
    if (v == null) {
      return null;
    }
    if (!v.isNumber()) {
      throw wrong(name, "a number");
    }
    return v.doubleValue();
  }

  Boolean bool(String name) {
    JsonNode v = raw(name);
    if (v == null) {
      return null;
    }
    if (!v.isBoolean()) {
      throw wrong(name, "true or false");
    }
    return v.booleanValue();
  }

  boolean bool(String name, boolean dflt) {
    Boolean b = bool(name);
    return b == null ? dflt : b;
  }

  /**
   * A priority class: {@code "interactive"}, {@code "standard"} or {@code "batch"} (any case), or vLLM's
   * integer priority 0, 1 or 2 (lower is served first); null when absent.
   */
  PriorityClass priority(String name) {
    JsonNode v = raw(name);
    if (v == null) {
      return null;
    }
    try {
      if (v.isTextual()) {
        return PriorityClass.parse(v.textValue());
      }
      if (v.isIntegralNumber() && v.canConvertToLong()) {
        return PriorityClass.ofLevel(v.longValue());
      }
      return PriorityClass.parse(v.toString()); // refused, naming what came: 1.5, true, {...}
    } catch (InvalidRequestException e) {
      throw new InvalidRequestException("field \"" + prefix + name + "\": " + e.getMessage());
    }
  }

  /** A string or a list of strings (OpenAI's {@code stop}); empty when absent. */
  List<String> stringOrList(String name) {
    JsonNode v = raw(name);
    List<String> out = new ArrayList<>();
    if (v == null) {
      return out;
    }
    if (v.isTextual()) {
      out.add(v.textValue());
      return out;
    }
    if (!v.isArray()) {
      throw wrong(name, "a string or a list of strings");
    }
    for (JsonNode e : v) {
      if (!e.isTextual()) {
        throw wrong(name, "a string or a list of strings");
      }
      out.add(e.textValue());
    }
    return out;
  }
}
