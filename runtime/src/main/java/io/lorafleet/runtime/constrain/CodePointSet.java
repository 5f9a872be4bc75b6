package io.lorafleet.runtime.constrain;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A set of code points U+0000..U+10FFFF as sorted, disjoint, non-adjacent ranges. The surrogates
 * U+D800..U+DFFF may be members but are never generated (UTF-8 cannot carry them; {@link Utf8Automata}
 * leaves them out). Immutable.
 */
final class CodePointSet {
  static final int MAX = 0x10FFFF;
  static final int SURROGATE_MIN = 0xD800;
  static final int SURROGATE_MAX = 0xDFFF;

  static final CodePointSet EMPTY = new CodePointSet(new int[0]);
  static final CodePointSet ALL = of(0, MAX);

  /** lo0, hi0, lo1, hi1, ... */
  private final int[] ranges;

  private CodePointSet(int[] ranges) {
    this.ranges = ranges;
  }

  static CodePointSet of(int lo, int hi) {
    return builder().add(lo, hi).build();
  }

  static CodePointSet ofChar(int c) {
    return of(c, c);
  }

  static Builder builder() {
    return new Builder();
  }

  int rangeCount() {
    return ranges.length / 2;
  }

  int lo(int i) {
    return ranges[2 * i];
  }

  int hi(int i) {
    return ranges[2 * i + 1];
  }

  boolean isEmpty() {
    return ranges.length == 0;
  }

  boolean contains(int c) {
    for (int i = 0; i < ranges.length; i += 2) {
      if (c < ranges[i]) {
        return false;
      }
      if (c <= ranges[i + 1]) {
        return true;
      }
    }
    return false;
  }

  /** The single code point of a one-element set, or -1. */
  int single() {
    return ranges.length == 2 && ranges[0] == ranges[1] ? ranges[0] : -1;
  }

  CodePointSet union(CodePointSet o) {
    Builder b = builder();
    b.addAll(this);
    b.addAll(o);
    return b.build();
  }

  CodePointSet complement() {
    Builder b = builder();
    int next = 0;
    for (int i = 0; i < ranges.length; i += 2) {
      if (ranges[i] > next) {
        b.add(next, ranges[i] - 1);
      }
      next = ranges[i + 1] + 1;
    }
    if (next <= MAX) {
      b.add(next, MAX);
    }
    return b.build();
  }

  CodePointSet minus(CodePointSet o) {
    return complementOf(complement().union(o));
  }

  CodePointSet intersect(CodePointSet o) {
    return complementOf(complement().union(o.complement()));
  }

  private static CodePointSet complementOf(CodePointSet s) {
    return s.complement();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CodePointSet c && Arrays.equals(ranges, c.ranges);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(ranges);
  }

  /** As a regex character class ({@code [a-z0-9]}, or the bare character for one printable ASCII char). */
  @Override
  public String toString() {
    int s = single();
    if (s >= 0) {
      return RegexNode.escapeLiteral(s);
    }
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < ranges.length; i += 2) {
      sb.append(classChar(ranges[i]));
      if (ranges[i + 1] != ranges[i]) {
        sb.append('-').append(classChar(ranges[i + 1]));
      }
    }
    return sb.append(']').toString();
  }

  private static String classChar(int c) {
    if (c == '\\' || c == ']' || c == '[' || c == '^' || c == '-') {
      return "\\" + (char) c;
    }
    if (c < 0x20 || c == 0x7F || c > 0xFFFF) {
      return c > 0xFFFF ? String.format("\\u{%X}", c) : String.format("\\x%02X", c);
    }
    if (c > 0x7E) {
      return String.format("\\u%04X", c);
    }
    return String.valueOf((char) c);
  }

  /** Collects ranges in any order. */
  static final class Builder {
    private final List<int[]> parts = new ArrayList<>();

    Builder add(int lo, int hi) {
      if (lo < 0 || hi > MAX || lo > hi) {
        throw new IllegalArgumentException("bad code point range " + lo + ".." + hi);
      }
      parts.add(new int[] {lo, hi});
      return this;
    }

    Builder add(int c) {
      return add(c, c);
    }

    Builder addAll(CodePointSet s) {
      for (int i = 0; i < s.ranges.length; i += 2) {
        parts.add(new int[] {s.ranges[i], s.ranges[i + 1]});
      }
      return this;
    }

    CodePointSet build() {
      parts.sort((a, b) -> Integer.compare(a[0], b[0]));
      int[] out = new int[parts.size() * 2];
      int n = 0;
      for (int[] p : parts) {
        if (n > 0 && p[0] <= out[n - 1] + 1) {
          out[n - 1] = Math.max(out[n - 1], p[1]);
        } else {
          out[n++] = p[0];
          out[n++] = p[1];
        }
      }
      int[] ranges = Arrays.copyOf(out, n);
      return new CodePointSet(ranges);
    }
  }
}
