package io.lorafleet.runtime.engine;

import io.lorafleet.runtime.tokenizer.IncrementalDecoder;
import java.util.List;

/**
 * Turns a sequence's tokens into text as they come and watches for stop sequences. Text that could still
 * become the start of a stop sequence is held back until it cannot, so streamed text never has to be
 * taken back; a stop sequence itself is never emitted.
 */
final class StopChecker {
  private final IncrementalDecoder decoder;
  private final List<String> stops;
  /** Per stop sequence: its KMP failure table. */
  private final int[][] failure;
  /** Per stop sequence: how many of its first chars the text scanned so far ends with (KMP state). */
  private final int[] matched;
  private final StringBuilder text = new StringBuilder();
  /** Chars of {@link #text} already fed to the matchers. */
  private int scanned;
  private int emitted;
  private boolean stopped;

  StopChecker(IncrementalDecoder decoder, List<String> stops) {
    this.decoder = decoder;
    this.stops = stops;
    this.failure = new int[stops.size()][];
    this.matched = new int[stops.size()];
    for (int i = 0; i < stops.size(); i++) {
      failure[i] = failureTable(stops.get(i));
    }
  }

  /** Adds a token's text; returns the text that is now safe to emit. */
  String add(int tokenId) {
    if (stopped) {
      return "";
    }
    text.append(decoder.add(tokenId));
    return release(false);
  }

  /** At the end of generation: whatever is left (pending bytes, held-back text) that is not a stop sequence. */
  String finish() {
    if (!stopped) {
      text.append(decoder.flush());
    }
    return release(true);
  }

  /** Whether a stop sequence has appeared. */
  boolean stopped() {
    return stopped;
  }

  /** All text emitted so far. */
  String emittedText() {
    return text.substring(0, emitted);
  }

  /**
   * Feeds the new chars to every stop's matcher (each char costs O(1) amortized per stop, whatever the
   * lengths: Knuth-Morris-Pratt), stops at the earliest-starting occurrence that ended in the new text, and
   * releases what can no longer become the start of a stop sequence.
   */
  private String release(boolean end) {
    int limit = text.length();
    if (!stops.isEmpty() && !stopped) {
      int at = -1;
      for (; scanned < text.length(); scanned++) {
        char c = text.charAt(scanned);
        for (int i = 0; i < matched.length; i++) {
          String s = stops.get(i);
          int q = matched[i];
          while (q > 0 && s.charAt(q) != c) {
            q = failure[i][q - 1];
          }
          if (s.charAt(q) == c) {
            q++;
          }
          if (q == s.length()) {
            int start = scanned + 1 - q;
            if (at < 0 || start < at) {
              at = start;
            }
            q = failure[i][q - 1];
          }
          matched[i] = q;
        }
      }
      if (at >= 0) {
        stopped = true;
        text.setLength(at);
        limit = at;
      } else if (!end) {
        limit = text.length() - heldBack();
      }
    }
    if (limit <= emitted) {
      return "";
    }
    String out = text.substring(emitted, limit);
    emitted = limit;
    return out;
  }

  /** Length of the longest suffix of the text that is a proper prefix of some stop sequence. */
  private int heldBack() {
    int best = 0;
    for (int m : matched) {
      best = Math.max(best, m);
    }
    return best;
  }

  /** {@code f[i]}: the length of the longest proper prefix of {@code s[0..i]} that is also its suffix. */
  private static int[] failureTable(String s) {
    int[] f = new int[s.length()];
    int k = 0;
    for (int i = 1; i < s.length(); i++) {
      while (k > 0 && s.charAt(k) != s.charAt(i)) {
        k = f[k - 1];
      }
      if (s.charAt(k) == s.charAt(i)) {
        k++;
      }
      f[i] = k;
    }
    return f;
  }
}
