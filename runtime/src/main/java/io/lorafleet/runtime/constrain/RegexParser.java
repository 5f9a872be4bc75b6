package io.lorafleet.runtime.constrain;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads a regular expression in the common subset of ECMAScript (JSON Schema's {@code pattern}) and Python
 * ({@code guided_regex}) syntax into a {@link RegexNode}. The whole output must match (as Python's {@code
 * fullmatch}); a leading {@code ^} and a trailing {@code $} of a top-level alternative are accepted and
 * change nothing.
 *
 * <p>Supported: literals, {@code .} (any character but line terminators), classes {@code [a-z]} / {@code
 * [^...]}, {@code \d \D \w \W \s \S} (ASCII digits and word characters, ECMAScript whitespace), escapes
 * {@code \n \r \t \f \v \0 \xHH \\uHHHH \\u{H...}} and escaped punctuation, groups {@code (...)}, {@code
 * (?:...)}, {@code (?<name>...)}, {@code (?P<name>...)}, alternation, quantifiers {@code * + ? {n} {n,}
 * {n,m}} (also lazy). Anything else (backreferences, lookaround, word boundaries, inline flags, Unicode
 * properties, possessive quantifiers) is an error naming the construct: those cannot be honoured by a
 * finite automaton or are not implemented.
 */
final class RegexParser {
  /** Largest number in a {@code {n,m}} quantifier. */
  static final int MAX_REPEAT = 10_000;
  private static final int MAX_DEPTH = 64;

  private final String src;
  private final String what;
  private int pos;
  private int depth;

  private RegexParser(String src, String what) {
    this.src = src;
    this.what = what;
  }

  /**
   * Parses {@code pattern}; {@code what} names it in errors (e.g. {@code "regex"} or {@code "pattern at
   * /properties/id"}).
   *
   * @throws ConstraintException naming the position and the problem
   */
  static RegexNode parse(String pattern, String what) {
    RegexParser p = new RegexParser(pattern, what);
    RegexNode n = p.alternation(true);
    if (p.pos < p.src.length()) {
      throw p.error(p.src.charAt(p.pos) == ')' ? "unbalanced ')'" : "unexpected '" + p.src.charAt(p.pos) + "'");
    }
    return n;
  }

  private ConstraintException error(String problem) {
    return new ConstraintException(what + ": " + problem + " at offset " + pos + " of " + quote(src));
  }

  private ConstraintException unsupported(String construct) {
    return new ConstraintException(what + ": " + construct + " is not supported in constrained decoding (offset "
        + pos + " of " + quote(src) + ")");
  }

  private static String quote(String s) {
    return s.length() <= 80 ? "\"" + s + "\"" : "\"" + s.substring(0, 77) + "...\"";
  }

  private boolean more() {
    return pos < src.length();
  }

  private int peek() {
    return src.codePointAt(pos);
  }

  private int next() {
    int c = src.codePointAt(pos);
    pos += Character.charCount(c);
    return c;
  }

  private boolean eat(char c) {
    if (more() && src.charAt(pos) == c) {
      pos++;
      return true;
    }
    return false;
  }

  private RegexNode alternation(boolean top) {
    List<RegexNode> options = new ArrayList<>();
    do {
      options.add(concatenation(top));
    } while (eat('|'));
    return RegexNode.alt(options);
  }

  private RegexNode concatenation(boolean top) {
    List<RegexNode> parts = new ArrayList<>();
    if (top && more() && peek() == '^') {
      pos++;
    }
    while (more() && peek() != '|' && peek() != ')') {
      if (peek() == '$') {
        int at = pos;
        pos++;
        if (top && (!more() || peek() == '|')) {
          break;
        }
        pos = at;
        throw unsupported("'$' before the end of the pattern");
      }
      if (peek() == '^') {
        throw unsupported("'^' after the start of the pattern");
      }
      parts.add(quantified(atom()));
    }
    return RegexNode.seq(parts);
  }

  private RegexNode quantified(RegexNode atom) {
    if (!more()) {
      return atom;
    }
    int min;
    int max;
    int start = pos;
    char c = src.charAt(pos);
    if (c == '*') {
      pos++;
      min = 0;
      max = RegexNode.UNBOUNDED;
    } else if (c == '+') {
      pos++;
      min = 1;
      max = RegexNode.UNBOUNDED;
    } else if (c == '?') {
      pos++;
      min = 0;
      max = 1;
    } else if (c == '{') {
      int[] bounds = braces();
      if (bounds == null) {
        return atom; // a literal '{': the next atom reads it
      }
      min = bounds[0];
      max = bounds[1];
    } else {
      return atom;
    }
    if (more() && src.charAt(pos) == '+') {
      throw unsupported("the possessive quantifier '" + src.substring(start, pos + 1) + "'");
    }
    eat('?'); // lazy: the same strings
    if (more() && (src.charAt(pos) == '*' || src.charAt(pos) == '+' || src.charAt(pos) == '?'
        || (src.charAt(pos) == '{' && isQuantifierBrace()))) {
      throw error("multiple repeat");
    }
    return RegexNode.repeat(atom, min, max);
  }

  private boolean isQuantifierBrace() {
    int at = pos;
    boolean q = braces() != null;
    pos = at;
    return q;
  }

  /** {@code {n}}, {@code {n,}} or {@code {n,m}} at pos; null (pos unchanged) when the brace is a literal. */
  private int[] braces() {
    int start = pos;
    pos++;
    long min = number();
    if (min < 0) {
      pos = start;
      return null;
    }
    long max = min;
    if (eat(',')) {
      max = more() && Character.isDigit(src.charAt(pos)) ? number() : RegexNode.UNBOUNDED;
    }
    if (!eat('}')) {
      pos = start;
      return null;
    }
    if (min > MAX_REPEAT || max > MAX_REPEAT) {
      pos = start;
      throw error("repetition count above " + MAX_REPEAT);
    }
    if (max != RegexNode.UNBOUNDED && max < min) {
      pos = start;
      throw error("repetition {" + min + "," + max + "} with max below min");
    }
    return new int[] {(int) min, (int) max};
  }

  private long number() {
    int start = pos;
    while (more() && Character.isDigit(src.charAt(pos)) && pos - start < 9) {
      pos++;
    }
    if (pos == start) {
      return -1;
    }
    if (more() && Character.isDigit(src.charAt(pos))) {
      throw error("repetition count above " + MAX_REPEAT);
    }
    return Long.parseLong(src.substring(start, pos));
  }

  private RegexNode atom() {
    int c = peek();
    switch (c) {
      case '(' -> {
        return group();
      }
      case '[' -> {
        pos++;
        return RegexNode.chars(charClass());
      }
      case '.' -> {
        pos++;
        return RegexNode.chars(CharClasses.DOT);
      }
      case '\\' -> {
        pos++;
        return escape();
      }
      case '*', '+', '?' -> throw error("nothing to repeat");
      case '{' -> {
        int at = pos;
        if (braces() != null) {
          pos = at;
          throw error("nothing to repeat");
        }
        pos++;
        return RegexNode.text("{");
      }
      default -> {
        next();
        return RegexNode.text(new String(Character.toChars(c)));
      }
    }
  }

  private RegexNode group() {
    int start = pos;
    pos++;
    if (eat('?')) {
      if (eat(':')) {
        // non-capturing
      } else if (src.startsWith("P<", pos) || (src.startsWith("<", pos) && !src.startsWith("<=", pos)
          && !src.startsWith("<!", pos))) {
        int close = src.indexOf('>', pos);
        if (close < 0) {
          throw error("unterminated group name");
        }
        pos = close + 1;
      } else if (src.startsWith("=", pos) || src.startsWith("!", pos) || src.startsWith("<=", pos)
          || src.startsWith("<!", pos)) {
        pos = start;
        throw unsupported("lookaround '" + src.substring(start, Math.min(src.length(), start + 4)) + "'");
      } else if (src.startsWith("P=", pos)) {
        pos = start;
        throw unsupported("the backreference '(?P=...)'");
      } else {
        pos = start;
        throw unsupported("the group or inline flag '" + src.substring(start, Math.min(src.length(), start + 4))
            + "'");
      }
    }
    if (++depth > MAX_DEPTH) {
      throw error("groups nested deeper than " + MAX_DEPTH);
    }
    RegexNode inner = alternation(false);
    depth--;
    if (!eat(')')) {
      pos = start;
      throw error("unclosed '('");
    }
    return inner;
  }

  private RegexNode escape() {
    if (!more()) {
      throw error("trailing backslash");
    }
    int c = peek();
    CodePointSet cls = classEscape(c);
    if (cls != null) {
      pos++;
      return RegexNode.chars(cls);
    }
    switch (c) {
      case 'b', 'B' -> throw unsupported("the word boundary '\\" + (char) c + "'");
      case 'A', 'Z', 'z', 'G' -> throw unsupported("the anchor '\\" + (char) c + "'");
      case 'k' -> throw unsupported("the backreference '\\k'");
      case 'p', 'P' -> throw unsupported("the Unicode property class '\\" + (char) c + "'");
      default -> { }
    }
    if (c >= '1' && c <= '9') {
      throw unsupported("the backreference '\\" + (char) c + "'");
    }
    return RegexNode.text(new String(Character.toChars(literalEscape())));
  }

  /** {@code \d \D \w \W \s \S} as a set, else null. */
  private static CodePointSet classEscape(int c) {
    return switch (c) {
      case 'd' -> CharClasses.DIGIT;
      case 'D' -> CharClasses.DIGIT.complement();
      case 'w' -> CharClasses.WORD;
      case 'W' -> CharClasses.WORD.complement();
      case 's' -> CharClasses.SPACE;
      case 'S' -> CharClasses.ECMA_SPACE.complement();
      default -> null;
    };
  }

  /** The code point of a single-character escape at pos (after the backslash); advances past it. */
  private int literalEscape() {
    int start = pos;
    int c = next();
    switch (c) {
      case 'n' -> {
        return '\n';
      }
      case 'r' -> {
        return '\r';
      }
      case 't' -> {
        return '\t';
      }
      case 'f' -> {
        return '\f';
      }
      case 'v' -> {
        return 0x0B;
      }
      case '0' -> {
        if (more() && Character.isDigit(src.charAt(pos))) {
          pos = start;
          throw unsupported("the octal escape '\\0" + src.charAt(pos + 1) + "'");
        }
        return 0;
      }
      case 'x' -> {
        return hex(2, start);
      }
      case 'u' -> {
        if (eat('{')) {
          int close = src.indexOf('}', pos);
          if (close < 0 || close == pos || close - pos > 6) {
            pos = start;
            throw error("bad \\u{...} escape");
          }
          int v = hex(close - pos, start);
          pos = close + 1;
          if (v > CodePointSet.MAX) {
            pos = start;
            throw error("code point above U+10FFFF");
          }
          return v;
        }
        return hex(4, start);
      }
      case 'c' -> throw unsupported("the control escape '\\c'");
      default -> {
        if (Character.isLetterOrDigit(c)) {
          pos = start;
          throw error("unknown escape '\\" + new String(Character.toChars(c)) + "'");
        }
        return c;
      }
    }
  }

  private int hex(int digits, int start) {
    if (pos + digits > src.length()) {
      pos = start;
      throw error("bad hex escape");
    }
    int v = 0;
    for (int i = 0; i < digits; i++) {
      int d = Character.digit(src.charAt(pos + i), 16);
      if (d < 0) {
        pos = start;
        throw error("bad hex escape");
      }
      v = v * 16 + d;
    }
    pos += digits;
    return v;
  }

  /** After '[': the class up to and including ']'. */
  private CodePointSet charClass() {
    int start = pos - 1;
    boolean negate = eat('^');
    CodePointSet.Builder b = CodePointSet.builder();
    boolean first = true;
    while (true) {
      if (!more()) {
        pos = start;
        throw error("unclosed '['");
      }
      int c = peek();
      if (c == ']' && !first) {
        pos++;
        break;
      }
      if (c == ']') {
        // "[]" is an empty class in ECMAScript and a literal ']' in Python: refuse the ambiguity.
        throw error("empty or ambiguous class '[]'");
      }
      first = false;
      int lo;
      if (c == '\\') {
        pos++;
        if (!more()) {
          throw error("trailing backslash");
        }
        CodePointSet cls = classEscape(peek());
        if (cls != null) {
          pos++;
          b.addAll(cls);
          continue;
        }
        if (peek() == 'b') {
          pos++;
          lo = 0x08;
        } else if (peek() >= '1' && peek() <= '9') {
          throw unsupported("the backreference '\\" + (char) peek() + "' in a class");
        } else if (peek() == 'p' || peek() == 'P') {
          throw unsupported("the Unicode property class '\\" + (char) peek() + "'");
        } else {
          lo = literalEscape();
        }
      } else {
        lo = next();
      }
      if (more() && peek() == '-' && pos + 1 < src.length() && src.charAt(pos + 1) != ']') {
        pos++;
        int hi;
        if (peek() == '\\') {
          pos++;
          if (more() && classEscape(peek()) != null) {
            throw error("a class escape cannot end a range");
          }
          if (more() && peek() == 'b') {
            pos++;
            hi = 0x08;
          } else {
            hi = literalEscape();
          }
        } else {
          hi = next();
        }
        if (hi < lo) {
          throw error("range out of order");
        }
        b.add(lo, hi);
      } else {
        b.add(lo);
      }
    }
    CodePointSet set = b.build();
    return negate ? set.complement() : set;
  }
}
