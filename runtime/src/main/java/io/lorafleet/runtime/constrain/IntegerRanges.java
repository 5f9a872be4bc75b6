package io.lorafleet.runtime.constrain;

import java.util.ArrayList;
import java.util.List;

/** Decimal integers (JSON form: no leading zeros, {@code -} for negatives) within a range, as a regex. */
final class IntegerRanges {
  private static final RegexNode DIGIT = RegexNode.chars(CharClasses.DIGIT);

  private IntegerRanges() {}

  /** The integers in [lo, hi] ({@code lo <= hi}, both within 15 digits). */
  static RegexNode of(long lo, long hi) {
    List<RegexNode> options = new ArrayList<>();
    if (lo < 0) {
      // -x for x in [max(1, -hi), -lo]
      options.add(RegexNode.seq(RegexNode.text("-"), nonNegative(Math.max(1, -Math.min(hi, -1)), -lo)));
    }
    if (hi >= 0) {
      options.add(nonNegative(Math.max(lo, 0), hi));
    }
    return RegexNode.alt(options);
  }

  private static RegexNode nonNegative(long lo, long hi) {
    List<RegexNode> options = new ArrayList<>();
    int from = digits(lo);
    int to = digits(hi);
    for (int d = from; d <= to; d++) {
      long first = d == 1 ? 0 : pow10(d - 1);
      long last = pow10(d) - 1;
      long a = Math.max(lo, first);
      long b = Math.min(hi, last);
      if (a <= b) {
        options.add(sameLength(Long.toString(a), Long.toString(b)));
      }
    }
    return RegexNode.alt(options);
  }

  /** Digit strings of one length between lo and hi (as numbers). */
  private static RegexNode sameLength(String lo, String hi) {
    if (lo.equals(hi)) {
      return RegexNode.text(lo);
    }
    int k = lo.length() - 1;
    char l = lo.charAt(0);
    char h = hi.charAt(0);
    if (k == 0) {
      return RegexNode.chars(CodePointSet.of(l, h));
    }
    if (l == h) {
      return RegexNode.seq(RegexNode.text(String.valueOf(l)), sameLength(lo.substring(1), hi.substring(1)));
    }
    String rest = lo.substring(1);
    String restHi = hi.substring(1);
    if (rest.equals("0".repeat(k)) && restHi.equals("9".repeat(k))) {
      return RegexNode.seq(RegexNode.chars(CodePointSet.of(l, h)), RegexNode.repeat(DIGIT, k, k));
    }
    List<RegexNode> options = new ArrayList<>();
    options.add(RegexNode.seq(RegexNode.text(String.valueOf(l)), sameLength(rest, "9".repeat(k))));
    if (l + 1 <= h - 1) {
      options.add(RegexNode.seq(RegexNode.chars(CodePointSet.of(l + 1, h - 1)), RegexNode.repeat(DIGIT, k, k)));
    }
    options.add(RegexNode.seq(RegexNode.text(String.valueOf(h)), sameLength("0".repeat(k), restHi)));
    return RegexNode.alt(options);
  }

  private static int digits(long v) {
    return Long.toString(v).length();
  }

  private static long pow10(int n) {
    long p = 1;
    for (int i = 0; i < n; i++) {
      p *= 10;
    }
    return p;
  }
}
