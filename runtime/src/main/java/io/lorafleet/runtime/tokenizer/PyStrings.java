package io.lorafleet.runtime.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Python {@code str} semantics that Java's {@code String} gets subtly wrong (whitespace, split). */
final class PyStrings {
  private PyStrings() {}

  /** Python's {@code str.isspace()} for one code point (differs from Java: includes NBSP, U+001C..1F). */
  static boolean isSpace(int cp) {
    return switch (cp) {
      case '\t', '\n', 0x0B, '\f', '\r', 0x1C, 0x1D, 0x1E, 0x1F, ' ', 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F,
          0x205F, 0x3000 -> true;
      default -> cp >= 0x2000 && cp <= 0x200A;
    };
  }

  /** {@code s.strip(chars)}: chars null means whitespace. */
  static String strip(String s, String chars) {
    return rstrip(lstrip(s, chars), chars);
  }

  /** {@code s.lstrip(chars)}. */
  static String lstrip(String s, String chars) {
    int start = 0;
    while (start < s.length()) {
      int cp = s.codePointAt(start);
      if (!stripped(cp, chars)) {
        break;
      }
      start += Character.charCount(cp);
    }
    return s.substring(start);
  }

  /** {@code s.rstrip(chars)}. */
  static String rstrip(String s, String chars) {
    int end = s.length();
    while (end > 0) {
      int cp = s.codePointBefore(end);
      if (!stripped(cp, chars)) {
        break;
      }
      end -= Character.charCount(cp);
    }
    return s.substring(0, end);
  }

  private static boolean stripped(int cp, String chars) {
    return chars == null ? isSpace(cp) : chars.indexOf(cp) >= 0;
  }

  /** {@code s.split(sep, maxsplit)}: sep null splits on whitespace runs and drops empty ends. */
  static List<String> split(String s, String sep, int maxSplit) {
    List<String> parts = new ArrayList<>();
    int limit = maxSplit < 0 ? Integer.MAX_VALUE : maxSplit;
    if (sep != null) {
      if (sep.isEmpty()) {
        throw new IllegalArgumentException("empty separator");
      }
      int from = 0;
      int at;
      while (parts.size() < limit && (at = s.indexOf(sep, from)) >= 0) {
        parts.add(s.substring(from, at));
        from = at + sep.length();
      }
      parts.add(s.substring(from));
      return parts;
    }
    int i = 0;
    int n = s.length();
    while (true) {
      while (i < n && isSpace(s.codePointAt(i))) {
        i += Character.charCount(s.codePointAt(i));
      }
      if (i >= n) {
        return parts;
      }
      if (parts.size() == limit) {
        parts.add(s.substring(i));
        return parts;
      }
      int start = i;
      while (i < n && !isSpace(s.codePointAt(i))) {
        i += Character.charCount(s.codePointAt(i));
      }
      parts.add(s.substring(start, i));
    }
  }

  /** {@code s.title()}: first letter of each run of letters upper case, the rest lower case. */
  static String title(String s) {
    StringBuilder out = new StringBuilder(s.length());
    boolean previousCased = false;
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      out.appendCodePoint(previousCased ? Character.toLowerCase(cp) : Character.toTitleCase(cp));
      previousCased = Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
      i += Character.charCount(cp);
    }
    return out.toString();
  }

  /** {@code s.capitalize()}: first character upper case, the rest lower case. */
  static String capitalize(String s) {
    if (s.isEmpty()) {
      return s;
    }
    int first = s.codePointAt(0);
    return new StringBuilder().appendCodePoint(Character.toTitleCase(first))
        .append(s.substring(Character.charCount(first)).toLowerCase(Locale.ROOT)).toString();
  }
}
