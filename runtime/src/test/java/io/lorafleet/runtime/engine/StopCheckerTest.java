package io.lorafleet.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.tokenizer.HfTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The incremental (KMP) stop checker releases exactly what the plain one did (search the unreleased text
 * for every stop, hold back the longest suffix that starts a stop), token by token, over the real
 * tokenizer's decoding of random token sequences, with stops cut from the text itself (so they occur) and
 * overlapping, self-similar stops.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StopCheckerTest {
  private HfTokenizer tok;

  @BeforeAll
  void load() {
    tok = HfTokenizer.load(Fixtures.model());
  }

  @AfterAll
  void close() {
    tok.close();
  }

  @Test
  void releasesTheSameTextAsTheQuadraticSearchTokenByToken() {
    Random rnd = new Random(42);
    int cases = 0;
    for (int round = 0; round < 400; round++) {
      int[] ids = new int[5 + rnd.nextInt(60)];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = 3 + rnd.nextInt(900);
      }
      String whole = tok.decode(ids, true);
      List<String> stops = new ArrayList<>();
      int n = rnd.nextInt(5);
      for (int i = 0; i < n && whole.length() > 2; i++) {
        int from = rnd.nextInt(whole.length() - 1);
        int len = 1 + rnd.nextInt(Math.min(12, whole.length() - from));
        stops.add(whole.substring(from, from + len));
      }
      if (rnd.nextBoolean()) {
        stops.add("aa");
        stops.add("aab");
        stops.add("abab");
      }
      StopChecker fast = new StopChecker(tok.newDecoder(true), stops);
      Reference slow = new Reference(tok.newDecoder(true), stops);
      for (int i = 0; i < ids.length; i++) {
        assertEquals(slow.add(ids[i]), fast.add(ids[i]), "round " + round + " token " + i + " stops " + stops);
        assertEquals(slow.stopped, fast.stopped());
      }
      assertEquals(slow.finish(), fast.finish(), "round " + round + " stops " + stops);
      assertEquals(slow.text.substring(0, slow.emitted), fast.emittedText());
      cases++;
    }
    assertEquals(400, cases);
  }

  /** The checker as it was before it matched incrementally: the oracle. */
  private static final class Reference {
    private final io.lorafleet.runtime.tokenizer.IncrementalDecoder decoder;
    private final List<String> stops;
    final StringBuilder text = new StringBuilder();
    int emitted;
    boolean stopped;

    Reference(io.lorafleet.runtime.tokenizer.IncrementalDecoder decoder, List<String> stops) {
      this.decoder = decoder;
      this.stops = stops;
    }

    String add(int id) {
      if (stopped) {
        return "";
      }
      text.append(decoder.add(id));
      return release(false);
    }

    String finish() {
      if (!stopped) {
        text.append(decoder.flush());
      }
      return release(true);
    }

    private String release(boolean end) {
      int limit = text.length();
      if (!stops.isEmpty() && !stopped) {
        int at = -1;
        for (String s : stops) {
          int i = text.indexOf(s, emitted);
          if (i >= 0 && (at < 0 || i < at)) {
            at = i;
          }
        }
        if (at >= 0) {
          stopped = true;
          text.setLength(at);
          limit = at;
        } else if (!end) {
          int best = 0;
          for (String s : stops) {
            for (int len = Math.min(s.length() - 1, text.length()); len > best; len--) {
              if (text.indexOf(s.substring(0, len), text.length() - len) == text.length() - len) {
                best = len;
                break;
              }
            }
          }
          limit = text.length() - best;
        }
      }
      if (limit <= emitted) {
        return "";
      }
      String out = text.substring(emitted, limit);
      emitted = limit;
      return out;
    }
  }
}
