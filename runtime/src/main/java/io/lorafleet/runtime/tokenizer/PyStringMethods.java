package io.lorafleet.runtime.tokenizer;

import com.hubspot.jinjava.objects.SafeString;
import java.beans.FeatureDescriptor;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python {@code str} methods on strings ({@code content.strip()}, {@code role.startswith('u')}, {@code
 * text.split('</think>')[-1]}, ...), which chat templates call and Jinjava would otherwise resolve to the
 * Java methods of the same name (or fail to find). Only method calls on strings are handled; everything
 * else falls through to Jinjava's own resolvers.
 */
final class PyStringMethods extends ELResolver {
  private static final Set<String> METHODS = Set.of("strip", "lstrip", "rstrip", "startswith", "endswith",
      "split", "upper", "lower", "title", "capitalize", "replace", "find", "count", "join", "isspace");

  @Override
  public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
    String s = switch (base) {
      case String str -> str;
      case SafeString safe -> safe.getValue();
      case null, default -> null;
    };
    if (s == null || method == null || !METHODS.contains(method.toString())) {
      return null;
    }
    Object[] args = params == null ? new Object[0] : params;
    Object result = call(s, method.toString(), args);
    context.setPropertyResolved(true);
    return result;
  }

  private static Object call(String s, String method, Object[] args) {
    return switch (method) {
      case "strip" -> PyStrings.strip(s, text(args, 0));
      case "lstrip" -> PyStrings.lstrip(s, text(args, 0));
      case "rstrip" -> PyStrings.rstrip(s, text(args, 0));
      case "startswith" -> affixes(args).stream().anyMatch(s::startsWith);
      case "endswith" -> affixes(args).stream().anyMatch(s::endsWith);
      case "split" -> PyStrings.split(s, text(args, 0), args.length > 1 ? ((Number) args[1]).intValue() : -1);
      case "upper" -> s.toUpperCase(Locale.ROOT);
      case "lower" -> s.toLowerCase(Locale.ROOT);
      case "title" -> PyStrings.title(s);
      case "capitalize" -> PyStrings.capitalize(s);
      case "replace" -> replace(s, text(args, 0), text(args, 1), args.length > 2 ? ((Number) args[2]).intValue() : -1);
      case "find" -> (long) s.indexOf(required(args, 0));
      case "count" -> count(s, required(args, 0));
      case "join" -> StreamSupport.stream(((Iterable<?>) args[0]).spliterator(), false)
          .map(String::valueOf).collect(Collectors.joining(s));
      case "isspace" -> !s.isEmpty() && s.codePoints().allMatch(PyStrings::isSpace);
      default -> throw new IllegalStateException(method);
    };
  }

  private static String text(Object[] args, int i) {
    return i < args.length && args[i] != null ? args[i].toString() : null;
  }

  private static String required(Object[] args, int i) {
    String value = text(args, i);
    if (value == null) {
      throw new IllegalArgumentException("missing string argument " + (i + 1));
    }
    return value;
  }

  private static List<String> affixes(Object[] args) {
    if (args.length > 0 && args[0] instanceof Iterable<?> options) {
      return StreamSupport.stream(options.spliterator(), false).map(String::valueOf).toList();
    }
    return List.of(required(args, 0));
  }

  private static String replace(String s, String old, String replacement, int count) {
    if (old == null || replacement == null) {
      throw new IllegalArgumentException("replace needs two string arguments");
    }
    if (count < 0 || old.isEmpty()) {
      return s.replace(old, replacement);
    }
    StringBuilder out = new StringBuilder();
    int from = 0;
    for (int done = 0, at; done < count && (at = s.indexOf(old, from)) >= 0; done++) {
      out.append(s, from, at).append(replacement);
      from = at + old.length();
    }
    return out.append(s.substring(from)).toString();
  }

  private static long count(String s, String sub) {
    if (sub.isEmpty()) {
      return s.length() + 1L;
    }
    long n = 0;
    for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
      n++;
    }
    return n;
  }

  @Override
  public Object getValue(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public Class<?> getType(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public void setValue(ELContext context, Object base, Object property, Object value) {}

  @Override
  public boolean isReadOnly(ELContext context, Object base, Object property) {
    return true;
  }

  @Override
  public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
    return Collections.emptyIterator();
  }

  @Override
  public Class<?> getCommonPropertyType(ELContext context, Object base) {
    return null;
  }
}
