package io.lorafleet.runtime.constrain;

import dk.brics.automaton.Automaton;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Sets of code points as automata over UTF-8 bytes. The automata of this package read bytes: each {@code
 * char} of a dk.brics {@link Automaton} is one byte (0..255), so tokens that end in the middle of a
 * character (byte-level BPE) are matched exactly. Surrogates are left out (UTF-8 cannot encode them).
 */
final class Utf8Automata {
  private static final int[] LENGTH_LIMITS = {0x7F, 0x7FF, 0xFFFF, CodePointSet.MAX};

  private Utf8Automata() {}

  /** Text as the byte string of its UTF-8 encoding. */
  static String bytesOf(String text) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    char[] c = new char[b.length];
    for (int i = 0; i < b.length; i++) {
      c[i] = (char) (b[i] & 0xFF);
    }
    return new String(c);
  }

  /** An automaton of the UTF-8 encodings of the members of {@code set} (one code point each); an NFA. */
  static Automaton of(CodePointSet set) {
    List<Automaton> parts = new ArrayList<>();
    for (int i = 0; i < set.rangeCount(); i++) {
      int lo = set.lo(i);
      int hi = set.hi(i);
      // Without surrogates, and split where the UTF-8 length changes.
      for (int[] piece : withoutSurrogates(lo, hi)) {
        int a = piece[0];
        for (int limit : LENGTH_LIMITS) {
          if (a > piece[1]) {
            break;
          }
          if (a <= limit) {
            int b = Math.min(piece[1], limit);
            parts.add(sameLength(encode(a), encode(b), 0));
            a = b + 1;
          }
        }
      }
    }
    if (parts.isEmpty()) {
      return Automaton.makeEmpty();
    }
    return parts.size() == 1 ? parts.getFirst() : Automaton.union(parts);
  }

  private static List<int[]> withoutSurrogates(int lo, int hi) {
    List<int[]> out = new ArrayList<>();
    if (hi < CodePointSet.SURROGATE_MIN || lo > CodePointSet.SURROGATE_MAX) {
      out.add(new int[] {lo, hi});
      return out;
    }
    if (lo < CodePointSet.SURROGATE_MIN) {
      out.add(new int[] {lo, CodePointSet.SURROGATE_MIN - 1});
    }
    if (hi > CodePointSet.SURROGATE_MAX) {
      out.add(new int[] {CodePointSet.SURROGATE_MAX + 1, hi});
    }
    return out;
  }

  private static int[] encode(int cp) {
    byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
    int[] out = new int[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = b[i] & 0xFF;
    }
    return out;
  }

  /**
   * Byte strings s of the same length as lo and hi with lo[i..] <= s[i..] <= hi[i..] lexicographically,
   * continuation bytes (positions after the first) in 0x80..0xBF. UTF-8 preserves code point order, so
   * these are exactly the encodings of the code points between the two.
   */
  private static Automaton sameLength(int[] lo, int[] hi, int i) {
    int n = lo.length;
    if (i == n) {
      return Automaton.makeEmptyString();
    }
    if (lo[i] == hi[i]) {
      return Automaton.makeChar((char) lo[i]).concatenate(sameLength(lo, hi, i + 1));
    }
    List<Automaton> options = new ArrayList<>();
    int[] top = lo.clone();
    int[] bottom = hi.clone();
    for (int k = i + 1; k < n; k++) {
      top[k] = 0xBF;
      bottom[k] = 0x80;
    }
    options.add(Automaton.makeChar((char) lo[i]).concatenate(sameLength(lo, top, i + 1)));
    if (lo[i] + 1 <= hi[i] - 1) {
      Automaton middle = Automaton.makeCharRange((char) (lo[i] + 1), (char) (hi[i] - 1));
      if (n - i - 1 > 0) {
        middle = middle.concatenate(Automaton.makeCharRange((char) 0x80, (char) 0xBF).repeat(n - i - 1, n - i - 1));
      }
      options.add(middle);
    }
    options.add(Automaton.makeChar((char) hi[i]).concatenate(sameLength(bottom, hi, i + 1)));
    return Automaton.union(options);
  }
}
