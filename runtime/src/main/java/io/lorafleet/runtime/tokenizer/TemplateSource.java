package io.lorafleet.runtime.tokenizer;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A jinja2 template source made ready for Jinjava. Applies what jinja2's lexer does with HF's settings:
 * line endings become {@code \n}; one trailing newline is dropped ({@code keep_trailing_newline=False});
 * {@code trim_blocks} (the newline right after a block or comment tag is dropped, unless the tag ends
 * with {@code -} or {@code +}); {@code lstrip_blocks} (spaces and tabs between the start of a line and a
 * block or comment tag are dropped, unless it opens with {@code -} or {@code +}; the {@code +} markers
 * are removed). Jinjava's own versions of these two options also strip in the middle of a line, so they
 * stay off. Then it rewrites the two constructs of HF templates that Jinjava parses differently, inside
 * {@code {{ }}} and {@code {% %}} only:
 * <ul>
 *   <li>{@code seq[::-1]} (no step syntax in Jinjava) becomes {@code seq|reverse};
 *   <li>keyword-argument values are parenthesized: {@code namespace(i=messages|length - 1)} would
 *       otherwise parse as {@code (i=messages|length) - 1}.
 * </ul>
 * It also records every filter name used, so that unknown filters (which Jinjava silently renders as
 * nothing, where jinja2 refuses the template) can be reported.
 *
 * @param text the source to give Jinjava
 * @param filters the names used after {@code |}
 * @param problem why the source cannot be a template, or null
 */
record TemplateSource(String text, Set<String> filters, String problem) {
  static TemplateSource prepare(String source) {
    String src = source.replace("\r\n", "\n").replace('\r', '\n');
    if (src.endsWith("\n")) {
      src = src.substring(0, src.length() - 1);
    }
    StringBuilder out = new StringBuilder(src.length() + 16);
    Set<String> filters = new LinkedHashSet<>();
    String problem = null;
    int i = 0;
    while (i < src.length()) {
      int open = nextOpening(src, i);
      if (open < 0) {
        out.append(src, i, src.length());
        break;
      }
      out.append(src, i, open);
      char kind = src.charAt(open + 1);
      char marker = open + 2 < src.length() ? src.charAt(open + 2) : 0;
      int bodyStart = open + 2;
      if (kind != '{') {
        if (marker == '+') {
          bodyStart++;
        } else if (marker != '-') {
          stripLineIndent(src, open, out);
        }
      }
      if (kind == '#') {
        i = skipComment(src, bodyStart, marker == '-', out);
        if (i < 0) {
          return new TemplateSource(out.toString(), Set.copyOf(filters), "unclosed comment (missing #})");
        }
        continue;
      }
      int end = blockEnd(src, bodyStart, kind == '{' ? "}}" : "%}");
      String body = src.substring(bodyStart, end);
      if (kind == '%' && firstWord(body).equals("raw")) {
        int endRaw = endOfRaw(src, end + 2);
        out.append(src, open, endRaw);
        i = endRaw;
        continue;
      }
      if (kind == '%' && firstWord(body).equals("for") && hasLoopFilter(body)) {
        problem = problem != null ? problem
            : "loop filters ({% for x in items if condition %}) are not supported; found {%" + body + "%}";
      }
      boolean keepNewline = kind != '{' && body.endsWith("+");
      if (keepNewline) {
        body = body.substring(0, body.length() - 1);
      }
      boolean trimNewline = kind != '{' && !keepNewline && !body.endsWith("-");
      out.append('{').append(kind);
      out.append(rewrite(body, !(kind == '%' && firstWord(body).equals("macro")), filters));
      i = Math.min(end + 2, src.length());
      out.append(src, Math.min(end, src.length()), i);
      if (trimNewline && i < src.length() && src.charAt(i) == '\n') {
        i++;
      }
    }
    return new TemplateSource(out.toString(), Set.copyOf(filters), problem);
  }

  /** lstrip_blocks: spaces and tabs from the start of a line up to a block or comment tag are dropped. */
  private static void stripLineIndent(String src, int tagStart, StringBuilder out) {
    int runStart = tagStart;
    while (runStart > 0 && (src.charAt(runStart - 1) == ' ' || src.charAt(runStart - 1) == '\t')) {
      runStart--;
    }
    if (runStart < tagStart && (runStart == 0 || src.charAt(runStart - 1) == '\n')) {
      out.setLength(out.length() - (tagStart - runStart));
    }
  }

  /**
   * Drops a comment (Jinjava would keep its whitespace control from working), applying {@code {#-},
   * {@code -#}} and trim_blocks itself; returns where the text after it starts.
   */
  private static int skipComment(String src, int bodyStart, boolean stripBefore, StringBuilder out) {
    if (stripBefore) {
      int keep = out.length();
      while (keep > 0 && Character.isWhitespace(out.charAt(keep - 1))) {
        keep--;
      }
      out.setLength(keep);
    }
    int end = src.indexOf("#}", bodyStart);
    if (end < 0) {
      return -1;
    }
    int next = end + 2;
    char last = src.charAt(end - 1);
    if (end > bodyStart && last == '-') {
      while (next < src.length() && Character.isWhitespace(src.charAt(next))) {
        next++;
      }
    } else if (!(end > bodyStart && last == '+') && next < src.length() && src.charAt(next) == '\n') {
      next++;
    }
    return next;
  }

  /**
   * Whether a {@code for} tag filters its items ({@code for x in items if cond}): jinja2 allows no
   * unparenthesized conditional expression there, so a top-level {@code if} after {@code in} is a
   * filter. Jinjava would read it as a conditional expression and silently loop over nothing.
   */
  private static boolean hasLoopFilter(String body) {
    boolean afterIn = false;
    int depth = 0;
    for (int i = 0; i < body.length(); ) {
      char c = body.charAt(i);
      if (c == '\'' || c == '"') {
        i = stringEnd(body, i);
      } else if (c == '(' || c == '[' || c == '{') {
        depth++;
        i++;
      } else if (c == ')' || c == ']' || c == '}') {
        depth--;
        i++;
      } else if (Character.isLetter(c) || c == '_') {
        int start = i;
        while (i < body.length() && (Character.isLetterOrDigit(body.charAt(i)) || body.charAt(i) == '_')) {
          i++;
        }
        String word = body.substring(start, i);
        if (depth == 0 && word.equals("in")) {
          afterIn = true;
        } else if (depth == 0 && afterIn && word.equals("if")) {
          return true;
        }
      } else {
        i++;
      }
    }
    return false;
  }

  private static int nextOpening(String s, int from) {
    for (int i = s.indexOf('{', from); i >= 0 && i + 1 < s.length(); i = s.indexOf('{', i + 1)) {
      char next = s.charAt(i + 1);
      if (next == '{' || next == '%' || next == '#') {
        return i;
      }
    }
    return -1;
  }

  /** Index of the closing delimiter, skipping string literals; the end of the text if unclosed. */
  private static int blockEnd(String s, int from, String closing) {
    char quote = 0;
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote != 0) {
        if (c == '\\') {
          i++;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (s.startsWith(closing, i)) {
        return i;
      }
    }
    return s.length();
  }

  private static int endOfRaw(String s, int from) {
    for (int i = s.indexOf("{%", from); i >= 0; i = s.indexOf("{%", i + 2)) {
      int end = blockEnd(s, i + 2, "%}");
      if (firstWord(s.substring(i + 2, end)).equals("endraw")) {
        return Math.min(end + 2, s.length());
      }
    }
    return s.length();
  }

  private static String firstWord(String body) {
    int i = 0;
    while (i < body.length() && ("-+".indexOf(body.charAt(i)) >= 0 || Character.isWhitespace(body.charAt(i)))) {
      i++;
    }
    int start = i;
    while (i < body.length() && Character.isLetterOrDigit(body.charAt(i))) {
      i++;
    }
    return body.substring(start, i);
  }

  /** Rewrites one expression or tag body; see the class comment. */
  private static String rewrite(String body, boolean wrapKeywordValues, Set<String> filters) {
    StringBuilder out = new StringBuilder(body.length() + 8);
    Deque<Bracket> brackets = new ArrayDeque<>();
    int i = 0;
    while (i < body.length()) {
      char c = body.charAt(i);
      if (c == '\'' || c == '"') {
        int end = stringEnd(body, i);
        out.append(body, i, end);
        i = end;
        continue;
      }
      if (c == '[') {
        int reversed = reverseSlice(body, i);
        if (reversed > 0) {
          out.append("|reverse");
          i = reversed;
          continue;
        }
      }
      if (c == '(' || c == '[' || c == '{') {
        brackets.push(new Bracket(c));
        out.append(c);
        i++;
        if (c == '(' && wrapKeywordValues) {
          i = openKeywordValue(body, i, out, brackets.peek());
        }
        continue;
      }
      if (c == ')' || c == ']' || c == '}') {
        Bracket top = brackets.poll();
        if (top != null && top.keywordValueOpen) {
          out.append(')');
        }
        out.append(c);
        i++;
        continue;
      }
      if (c == ',' && !brackets.isEmpty() && brackets.peek().kind == '(') {
        Bracket top = brackets.peek();
        if (top.keywordValueOpen) {
          out.append(')');
          top.keywordValueOpen = false;
        }
        out.append(c);
        i++;
        if (wrapKeywordValues) {
          i = openKeywordValue(body, i, out, top);
        }
        continue;
      }
      if (c == '|') {
        int j = i + 1;
        while (j < body.length() && Character.isWhitespace(body.charAt(j))) {
          j++;
        }
        int start = j;
        while (j < body.length() && (Character.isLetterOrDigit(body.charAt(j)) || body.charAt(j) == '_')) {
          j++;
        }
        if (j > start) {
          filters.add(body.substring(start, j));
        }
      }
      out.append(c);
      i++;
    }
    return out.toString();
  }

  /** If an argument {@code name=value} starts at {@code i}, copies {@code name=(} and marks the bracket. */
  private static int openKeywordValue(String body, int i, StringBuilder out, Bracket bracket) {
    int j = i;
    while (j < body.length() && Character.isWhitespace(body.charAt(j))) {
      j++;
    }
    int start = j;
    while (j < body.length() && (Character.isLetterOrDigit(body.charAt(j)) || body.charAt(j) == '_')) {
      j++;
    }
    if (j == start || Character.isDigit(body.charAt(start))) {
      return i;
    }
    int k = j;
    while (k < body.length() && Character.isWhitespace(body.charAt(k))) {
      k++;
    }
    if (k < body.length() && body.charAt(k) == '=' && (k + 1 >= body.length() || body.charAt(k + 1) != '=')) {
      out.append(body, i, k + 1).append('(');
      bracket.keywordValueOpen = true;
      return k + 1;
    }
    return i;
  }

  /** End index of {@code [::-1]} (spaces allowed) starting at {@code i}, or -1. */
  private static int reverseSlice(String body, int i) {
    String compact = "[::-1]";
    int j = i;
    int matched = 0;
    while (j < body.length() && matched < compact.length()) {
      char c = body.charAt(j);
      if (Character.isWhitespace(c) && matched > 0) {
        j++;
      } else if (c == compact.charAt(matched)) {
        matched++;
        j++;
      } else {
        return -1;
      }
    }
    return matched == compact.length() ? j : -1;
  }

  private static int stringEnd(String s, int start) {
    char quote = s.charAt(start);
    for (int i = start + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == quote) {
        return i + 1;
      }
    }
    return s.length();
  }

  private static final class Bracket {
    final char kind;
    boolean keywordValueOpen;

    Bracket(char kind) {
      this.kind = kind;
    }
  }
}
