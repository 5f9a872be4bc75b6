package io.lorafleet.runtime.tokenizer;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.filter.LengthFilter;
import java.util.List;
import java.util.Map;

/** Filters whose Jinjava versions differ from what HF's jinja2 environment does. */
final class PyFilters {
  private PyFilters() {}

  /** HF's {@code tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)}. */
  static final class ToJson implements Filter {
    @Override
    public String getName() {
      return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      return filter(var, interpreter, args, Map.of());
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
      Object indent = argument(args, kwargs, 1, "indent");
      Object separators = argument(args, kwargs, 2, "separators");
      Object sortKeys = argument(args, kwargs, 3, "sort_keys");
      String indentText = switch (indent) {
        case null -> null;
        case Number n -> " ".repeat(Math.max(0, n.intValue()));
        default -> indent.toString();
      };
      String itemSeparator = null;
      String keySeparator = null;
      if (separators instanceof List<?> pair && pair.size() == 2) {
        itemSeparator = String.valueOf(pair.get(0));
        keySeparator = String.valueOf(pair.get(1));
      }
      return new PyJson(indentText, itemSeparator, keySeparator, Boolean.TRUE.equals(sortKeys)).dumps(var);
    }
  }

  /** jinja2's {@code trim(value, chars=None)}: Python {@code str.strip}, whose whitespace includes NBSP. */
  static final class Trim implements Filter {
    @Override
    public String getName() {
      return "trim";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      return filter(var, interpreter, args, Map.of());
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
      Object chars = argument(args, kwargs, 0, "chars");
      return PyStrings.strip(var == null ? "" : var.toString(), chars == null ? null : chars.toString());
    }
  }

  /** jinja2's {@code length}/{@code count}: strings count code points, as Python's {@code len}. */
  static final class Length implements Filter {
    private static final Filter JINJAVA_LENGTH = new LengthFilter();
    private final String name;

    Length(String name) {
      this.name = name;
    }

    @Override
    public String getName() {
      return name;
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      if (var instanceof CharSequence s) {
        return s.codePoints().count();
      }
      return JINJAVA_LENGTH.filter(var, interpreter, args);
    }
  }

  private static Object argument(Object[] args, Map<String, Object> kwargs, int position, String name) {
    if (kwargs != null && kwargs.containsKey(name)) {
      return kwargs.get(name);
    }
    return args != null && position < args.length ? args[position] : null;
  }
}
