package io.lorafleet.runtime.tokenizer;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(value, ensure_ascii=False, indent=..., separators=..., sort_keys=...)}, the
 * {@code tojson} that HF's chat templates use: {@code ", "} and {@code ": "} separators by default (no
 * {@code <>&'} escaping, unlike jinja2's own filter), keys in insertion order.
 */
final class PyJson {
  private final String indent;
  private final String itemSeparator;
  private final String keySeparator;
  private final boolean sortKeys;

  /**
   * @param indent null for one line, else the string repeated per nesting level
   * @param itemSeparator null for the Python default ({@code ", "}, or {@code ","} with an indent)
   * @param keySeparator null for {@code ": "}
   */
  PyJson(String indent, String itemSeparator, String keySeparator, boolean sortKeys) {
    this.indent = indent;
    this.itemSeparator = itemSeparator != null ? itemSeparator : indent == null ? ", " : ",";
    this.keySeparator = keySeparator != null ? keySeparator : ": ";
    this.sortKeys = sortKeys;
  }

  String dumps(Object value) {
    StringBuilder out = new StringBuilder();
    write(value, out, 0);
    return out.toString();
  }

  private void write(Object value, StringBuilder out, int depth) {
    switch (value) {
      case null -> out.append("null");
      case Boolean b -> out.append(b ? "true" : "false");
      case Double d -> out.append(floatRepr(d));
      case Float f -> out.append(floatRepr(f.doubleValue()));
      case BigDecimal d -> out.append(floatRepr(d.doubleValue()));
      case Number n -> out.append(n instanceof BigInteger ? n.toString() : Long.toString(n.longValue()));
      case CharSequence s -> quote(s.toString(), out);
      case Character c -> quote(c.toString(), out);
      case Map<?, ?> map -> writeMap(map, out, depth);
      case Iterable<?> items -> writeList(items, out, depth);
      case Object[] items -> writeList(Arrays.asList(items), out, depth);
      case ChatMessage m -> writeMap(Map.of("role", m.role(), "content", m.content()), out, depth);
      default -> quote(value.toString(), out);
    }
  }

  private void writeMap(Map<?, ?> map, StringBuilder out, int depth) {
    if (map.isEmpty()) {
      out.append("{}");
      return;
    }
    List<Map.Entry<String, Object>> entries = new ArrayList<>();
    map.forEach((k, v) -> entries.add(new AbstractMap.SimpleImmutableEntry<>(keyString(k), v)));
    if (sortKeys) {
      entries.sort(Map.Entry.comparingByKey());
    }
    out.append('{');
    for (int i = 0; i < entries.size(); i++) {
      out.append(i == 0 ? "" : itemSeparator);
      newline(out, depth + 1);
      quote(entries.get(i).getKey(), out);
      out.append(keySeparator);
      write(entries.get(i).getValue(), out, depth + 1);
    }
    newline(out, depth);
    out.append('}');
  }

  private void writeList(Iterable<?> items, StringBuilder out, int depth) {
    var iterator = items.iterator();
    if (!iterator.hasNext()) {
      out.append("[]");
      return;
    }
    out.append('[');
    boolean first = true;
    while (iterator.hasNext()) {
      out.append(first ? "" : itemSeparator);
      first = false;
      newline(out, depth + 1);
      write(iterator.next(), out, depth + 1);
    }
    newline(out, depth);
    out.append(']');
  }

  private void newline(StringBuilder out, int depth) {
    if (indent != null) {
      out.append('\n').append(indent.repeat(depth));
    }
  }

  private static String keyString(Object key) {
    return switch (key) {
      case null -> "null";
      case Boolean b -> b ? "true" : "false";
      case Double d -> floatRepr(d);
      default -> key.toString();
    };
  }

  private static void quote(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /** Python's {@code repr(float)}: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
  static String floatRepr(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == 0) {
      return (1 / d < 0) ? "-0.0" : "0.0";
    }
    BigDecimal exact = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    String digits = exact.unscaledValue().abs().toString();
    int exponent = digits.length() - 1 - exact.scale();
    String sign = d < 0 ? "-" : "";
    if (exponent < -4 || exponent >= 16) {
      String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
    }
    String plain = exact.abs().toPlainString();
    return sign + (plain.contains(".") ? plain : plain + ".0");
  }
}
