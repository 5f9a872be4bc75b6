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
  private final StringBuilder text = new StringBuilder();
  private int emitted;
  private boolean stopped;

  StopChecker(IncrementalDecoder decoder, List<String> stops) {
    this.decoder = decoder;
    this.stops = stops;
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

  private String release(boolean end) {
    int limit = text.length();
    if (!stops.isEmpty() && !stopped) {
      int from = emitted;
      int at = -1;
      for (String s : stops) {
        int i = text.indexOf(s, from);
        if (i >= 0 && (at < 0 || i < at)) {
          at = i;
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
    for (String s : stops) {
      int max = Math.min(s.length() - 1, text.length());
      for (int len = max; len > best; len--) {
        if (text.indexOf(s.substring(0, len), text.length() - len) == text.length() - len) {
          best = len;
          break;
        }
      }
    }
    return best;
  }
}
