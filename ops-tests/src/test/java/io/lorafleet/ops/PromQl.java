package io.lorafleet.ops;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;

/**
 * Enough of PromQL to check a dashboard against a node's metrics: the series selectors of an expression
 * (metric name, the labels its matchers name) and its label lists (by, without, on, ignoring, group_left,
 * group_right), each with the functions and aggregations it sits in, innermost last. Grafana variables
 * ($job, ${x}, $__rate_interval) and range or subquery brackets are skipped; string literals are opaque.
 */
final class PromQl {
  /** A series selector, e.g. {@code rate(x_total{job=~"$job"}[5m])} gives x_total, [job], [rate]. */
  record Selector(String metric, List<String> matcherLabels, List<String> enclosing) {}

  /** A label list, e.g. {@code sum by (le) (...)} gives [le], enclosing functions outside the sum. */
  record Grouping(String keyword, List<String> labels, List<String> enclosing) {}

  record Parsed(String expression, List<Selector> selectors, List<Grouping> groupings) {}

  private static final Set<String> GROUPING = Set.of("by", "without", "on", "ignoring", "group_left", "group_right");
  private static final Set<String> AGGREGATIONS = Set.of("sum", "avg", "min", "max", "count", "group", "stddev",
      "stdvar", "topk", "bottomk", "quantile", "count_values", "limitk", "limit_ratio");
  private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "atan2");

  private enum Kind { IDENT, STRING, NUMBER, VAR, RANGE, PUNCT }

  private record Token(Kind kind, String text) {}

  private PromQl() {}

  static Parsed parse(String expression) {
    List<Token> tokens = tokenize(expression);
    List<Selector> selectors = new ArrayList<>();
    List<Grouping> groupings = new ArrayList<>();
    Deque<String> calls = new ArrayDeque<>(); // open parentheses: the function name, or "" for plain ones
    for (int i = 0; i < tokens.size(); i++) {
      Token t = tokens.get(i);
      Token next = i + 1 < tokens.size() ? tokens.get(i + 1) : null;
      switch (t.kind()) {
        case IDENT -> {
          String word = t.text();
          if (GROUPING.contains(word)) {
            if (next != null && next.text().equals("(")) {
              i = grouping(tokens, i, calls, groupings);
            }
          } else if (AGGREGATIONS.contains(word) && next != null && GROUPING.contains(next.text())) {
            // sum by (a, b) (...): the label list first, then the aggregation's parentheses
            i = grouping(tokens, i + 1, calls, groupings);
            if (i + 1 >= tokens.size() || !tokens.get(i + 1).text().equals("(")) {
              throw new IllegalArgumentException(word + " without its ( in " + expression);
            }
            calls.push(word);
            i++;
          } else if (KEYWORDS.contains(word)) {
            // operator keywords; an offset's duration is a NUMBER token
          } else if (next != null && next.text().equals("(")) {
            calls.push(word);
            i++;
          } else {
            List<String> labels = new ArrayList<>();
            if (next != null && next.text().equals("{")) {
              int j = i + 2;
              for (; j < tokens.size() && !tokens.get(j).text().equals("}"); j++) {
                Token m = tokens.get(j);
                if (m.kind() == Kind.IDENT && j + 1 < tokens.size() && tokens.get(j + 1).kind() == Kind.PUNCT
                    && Set.of("=", "!=", "=~", "!~").contains(tokens.get(j + 1).text())) {
                  labels.add(m.text());
                }
              }
              if (j == tokens.size()) {
                throw new IllegalArgumentException("unclosed { in " + expression);
              }
              i = j;
            }
            selectors.add(new Selector(word, List.copyOf(labels), enclosing(calls)));
          }
        }
        case PUNCT -> {
          switch (t.text()) {
            case "(" -> calls.push("");
            case ")" -> {
              if (calls.isEmpty()) {
                throw new IllegalArgumentException("unbalanced ) in " + expression);
              }
              calls.pop();
            }
            case "{" -> throw new IllegalArgumentException("a selector without a metric name in " + expression);
            default -> { }
          }
        }
        default -> { }
      }
    }
    if (!calls.isEmpty()) {
      throw new IllegalArgumentException("unbalanced ( in " + expression);
    }
    return new Parsed(expression, List.copyOf(selectors), List.copyOf(groupings));
  }

  /** Reads "by (a, b)" starting at the keyword; returns the index of its ")". */
  private static int grouping(List<Token> tokens, int at, Deque<String> calls, List<Grouping> groupings) {
    if (at + 1 >= tokens.size() || !tokens.get(at + 1).text().equals("(")) {
      throw new IllegalArgumentException(tokens.get(at).text() + " without a label list");
    }
    List<String> labels = new ArrayList<>();
    int j = at + 2;
    for (; j < tokens.size() && !tokens.get(j).text().equals(")"); j++) {
      if (tokens.get(j).kind() == Kind.IDENT) {
        labels.add(tokens.get(j).text());
      }
    }
    if (j == tokens.size()) {
      throw new IllegalArgumentException("unclosed label list after " + tokens.get(at).text());
    }
    groupings.add(new Grouping(tokens.get(at).text(), List.copyOf(labels), enclosing(calls)));
    return j;
  }

  private static List<String> enclosing(Deque<String> calls) {
    List<String> out = new ArrayList<>();
    calls.descendingIterator().forEachRemaining(c -> {
      if (!c.isEmpty()) {
        out.add(c);
      }
    });
    return List.copyOf(out);
  }

  private static List<Token> tokenize(String s) {
    List<Token> out = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '"' || c == '\'' || c == '`') {
        int j = i + 1;
        while (j < s.length() && s.charAt(j) != c) {
          j += s.charAt(j) == '\\' && c != '`' ? 2 : 1;
        }
        if (j >= s.length()) {
          throw new IllegalArgumentException("unclosed string in " + s);
        }
        out.add(new Token(Kind.STRING, s.substring(i + 1, j)));
        i = j + 1;
      } else if (c == '[') {
        int j = s.indexOf(']', i);
        if (j < 0) {
          throw new IllegalArgumentException("unclosed [ in " + s);
        }
        out.add(new Token(Kind.RANGE, s.substring(i + 1, j)));
        i = j + 1;
      } else if (c == '$') {
        int j = i + 1;
        if (j < s.length() && s.charAt(j) == '{') {
          j = s.indexOf('}', j) + 1;
        } else {
          while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
            j++;
          }
        }
        out.add(new Token(Kind.VAR, s.substring(i, j)));
        i = j;
      } else if (Character.isLetter(c) || c == '_' || c == ':') {
        int j = i;
        while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_' || s.charAt(j) == ':')) {
          j++;
        }
        out.add(new Token(Kind.IDENT, s.substring(i, j)));
        i = j;
      } else if (Character.isDigit(c) || (c == '.' && i + 1 < s.length() && Character.isDigit(s.charAt(i + 1)))) {
        int j = i;
        while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '.')) {
          j++; // 0.99, 1e3, 5m, 1h30m
        }
        out.add(new Token(Kind.NUMBER, s.substring(i, j)));
        i = j;
      } else {
        String two = i + 1 < s.length() ? s.substring(i, i + 2) : "";
        if (Set.of("=~", "!~", "!=", "==", "<=", ">=").contains(two)) {
          out.add(new Token(Kind.PUNCT, two));
          i += 2;
        } else {
          out.add(new Token(Kind.PUNCT, String.valueOf(c)));
          i++;
        }
      }
    }
    return out;
  }
}
