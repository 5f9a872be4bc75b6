package io.lorafleet.runtime.format;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorafleet.runtime.errors.ModelFormatException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Typed reads of fields of a JSON config file, each failure naming the file and the field. */
final class JsonFields {
  private final Path file;
  private final JsonNode root;
  private final String context;

  JsonFields(Path file, JsonNode root) {
    this(file, root, "");
  }

  private JsonFields(Path file, JsonNode root, String context) {
    this.file = file;
    this.root = root;
    this.context = context;
  }

  /** The object under {@code field}, whose errors are prefixed with the field name. */
  JsonFields child(String field) {
    JsonNode n = root.get(field);
    if (n == null || !n.isObject()) {
      throw error("\"" + field + "\" must be an object, got " + n);
    }
    return new JsonFields(file, n, context + field + ": ");
  }

  JsonNode root() {
    return root;
  }

  ModelFormatException error(String problem) {
    return new ModelFormatException(file + ": " + context + problem);
  }

  boolean has(String field) {
    JsonNode n = root.get(field);
    return n != null && !n.isNull();
  }

  int requiredInt(String field) {
    if (!has(field)) {
      throw error("missing required field \"" + field + "\"");
    }
    return intValue(field, root.get(field));
  }

  int optionalInt(String field, int fallback) {
    return has(field) ? intValue(field, root.get(field)) : fallback;
  }

  int positiveInt(String field) {
    int v = requiredInt(field);
    if (v <= 0) {
      throw error("\"" + field + "\" must be positive, got " + v);
    }
    return v;
  }

  private int intValue(String field, JsonNode n) {
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw error("\"" + field + "\" must be an integer, got " + n);
    }
    return n.intValue();
  }

  double optionalDouble(String field, double fallback) {
    if (!has(field)) {
      return fallback;
    }
    JsonNode n = root.get(field);
    if (!n.isNumber()) {
      throw error("\"" + field + "\" must be a number, got " + n);
    }
    return n.doubleValue();
  }

  boolean optionalBoolean(String field, boolean fallback) {
    if (!has(field)) {
      return fallback;
    }
    JsonNode n = root.get(field);
    if (!n.isBoolean()) {
      throw error("\"" + field + "\" must be true or false, got " + n);
    }
    return n.booleanValue();
  }

  String optionalString(String field, String fallback) {
    if (!has(field)) {
      return fallback;
    }
    JsonNode n = root.get(field);
    if (!n.isTextual()) {
      throw error("\"" + field + "\" must be a string, got " + n);
    }
    return n.textValue();
  }

  /** An int or a list of ints (as {@code eos_token_id} may be); empty when absent. */
  List<Integer> intOrIntList(String field) {
    List<Integer> out = new ArrayList<>();
    if (!has(field)) {
      return out;
    }
    JsonNode n = root.get(field);
    if (n.isArray()) {
      for (JsonNode e : n) {
        out.add(intValue(field, e));
      }
    } else {
      out.add(intValue(field, n));
    }
    return out;
  }

  /** A list of strings, or a single string as a one-element list; empty when absent. */
  List<String> stringOrStringList(String field) {
    List<String> out = new ArrayList<>();
    if (!has(field)) {
      return out;
    }
    JsonNode n = root.get(field);
    if (n.isArray()) {
      for (JsonNode e : n) {
        if (!e.isTextual()) {
          throw error("\"" + field + "\" must hold strings, got " + e);
        }
        out.add(e.textValue());
      }
    } else if (n.isTextual()) {
      out.add(n.textValue());
    } else {
      throw error("\"" + field + "\" must be a string or a list of strings, got " + n);
    }
    return out;
  }
}
