package io.lorafleet.runtime.constrain;

import java.util.ArrayList;
import java.util.List;

/**
 * A regular expression as a tree over code points: what {@link RegexParser} reads from a pattern and what
 * {@link JsonSchemaRegex} builds from a schema, before {@link AutomatonBuilder} turns it into a byte DFA.
 * {@link #toString()} writes it back in the dialect {@link RegexParser} reads (for messages and tests).
 */
sealed interface RegexNode {
  int UNBOUNDED = -1;

  /** One code point of the set. */
  record Chars(CodePointSet set) implements RegexNode {
    @Override
    public String toString() {
      return set.toString();
    }
  }

  /** This exact text. */
  record Text(String text) implements RegexNode {
    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder();
      text.codePoints().forEach(c -> sb.append(escapeLiteral(c)));
      return text.isEmpty() ? "(?:)" : sb.toString();
    }
  }

  /** The parts one after the other. */
  record Concat(List<RegexNode> parts) implements RegexNode {
    public Concat {
      parts = List.copyOf(parts);
    }

    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder();
      for (RegexNode p : parts) {
        sb.append(p instanceof Alt ? "(?:" + p + ")" : p.toString());
      }
      return sb.toString();
    }
  }

  /** Any one of the options (none: the empty language). */
  record Alt(List<RegexNode> options) implements RegexNode {
    public Alt {
      options = List.copyOf(options);
    }

    @Override
    public String toString() {
      if (options.isEmpty()) {
        return "[^\\x00-\\u{10FFFF}]";
      }
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < options.size(); i++) {
        sb.append(i > 0 ? "|" : "").append(options.get(i));
      }
      return sb.toString();
    }
  }

  /** {@code body} between {@code min} and {@code max} times ({@link #UNBOUNDED}: no upper limit). */
  record Repeat(RegexNode body, int min, int max) implements RegexNode {
    @Override
    public String toString() {
      String b = body instanceof Chars || (body instanceof Text t && t.text().codePointCount(0, t.text().length()) == 1)
          ? body.toString() : "(?:" + body + ")";
      if (min == 0 && max == 1) {
        return b + "?";
      }
      if (min == 0 && max == UNBOUNDED) {
        return b + "*";
      }
      if (min == 1 && max == UNBOUNDED) {
        return b + "+";
      }
      if (max == UNBOUNDED) {
        return b + "{" + min + ",}";
      }
      return min == max ? b + "{" + min + "}" : b + "{" + min + "," + max + "}";
    }
  }

  /** Strings both match (used for a string pattern with length limits). */
  record Both(RegexNode a, RegexNode b) implements RegexNode {
    @Override
    public String toString() {
      return "(?:" + a + ")&&(?:" + b + ")";
    }
  }

  static RegexNode text(String s) {
    return new Text(s);
  }

  static RegexNode chars(CodePointSet set) {
    return new Chars(set);
  }

  static RegexNode seq(RegexNode... parts) {
    return seq(List.of(parts));
  }

  /** A concatenation, flattened, with empty texts dropped and adjacent texts joined. */
  static RegexNode seq(List<RegexNode> parts) {
    List<RegexNode> out = new ArrayList<>();
    for (RegexNode p : parts) {
      if (p instanceof Concat c) {
        out.addAll(c.parts());
      } else {
        out.add(p);
      }
    }
    List<RegexNode> joined = new ArrayList<>();
    for (RegexNode p : out) {
      if (p instanceof Text t && t.text().isEmpty()) {
        continue;
      }
      if (p instanceof Text t && !joined.isEmpty() && joined.getLast() instanceof Text prev) {
        joined.set(joined.size() - 1, new Text(prev.text() + t.text()));
      } else {
        joined.add(p);
      }
    }
    if (joined.isEmpty()) {
      return new Text("");
    }
    return joined.size() == 1 ? joined.getFirst() : new Concat(joined);
  }

  static RegexNode alt(RegexNode... options) {
    return alt(List.of(options));
  }

  static RegexNode alt(List<RegexNode> options) {
    List<RegexNode> out = new ArrayList<>();
    for (RegexNode o : options) {
      if (o instanceof Alt a) {
        out.addAll(a.options());
      } else {
        out.add(o);
      }
    }
    return out.size() == 1 ? out.getFirst() : new Alt(out);
  }

  static RegexNode repeat(RegexNode body, int min, int max) {
    return new Repeat(body, min, max);
  }

  static RegexNode optional(RegexNode body) {
    return new Repeat(body, 0, 1);
  }

  static RegexNode star(RegexNode body) {
    return new Repeat(body, 0, UNBOUNDED);
  }

  /** A code point as a literal of the dialect (escaped when it is a metacharacter or not printable ASCII). */
  static String escapeLiteral(int c) {
    if ("\\.^$|?*+()[]{}/".indexOf(c) >= 0) {
      return "\\" + (char) c;
    }
    if (c == '\n') {
      return "\\n";
    }
    if (c == '\t') {
      return "\\t";
    }
    if (c == '\r') {
      return "\\r";
    }
    if (c < 0x20 || c == 0x7F) {
      return String.format("\\x%02X", c);
    }
    if (c > 0xFFFF) {
      return String.format("\\u{%X}", c);
    }
    if (c > 0x7E) {
      return String.format("\\u%04X", c);
    }
    return String.valueOf((char) c);
  }
}
