package io.lorafleet.runtime.constrain;

import dk.brics.automaton.Automaton;
import dk.brics.automaton.State;
import dk.brics.automaton.Transition;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A compiled constraint: a minimal DFA over bytes as flat tables, shared read-only by every sequence that
 * uses the same constraint (whatever the tokenizer). Bytes are grouped into classes that no state tells apart
 * (a JSON Schema's DFA has a few dozen), so the table is {@code states x classes} ints. Every state can
 * reach an accepting state (dead states are removed), so a byte string the DFA can walk is always a prefix
 * of an accepted string. State 0 is the start.
 */
public final class ByteDfa {
  /** No transition. */
  public static final int DEAD = -1;

  private final int numStates;
  private final int numClasses;
  private final byte[] classOf = new byte[256];
  private final int[] next;
  private final BitSet accepting;
  private final BitSet hasNext;
  private final String description;

  private ByteDfa(int numStates, int numClasses, int[] classOfByte, int[] next, BitSet accepting, String description) {
    this.numStates = numStates;
    this.numClasses = numClasses;
    for (int b = 0; b < 256; b++) {
      classOf[b] = (byte) classOfByte[b];
    }
    this.next = next;
    this.accepting = accepting;
    this.description = description;
    this.hasNext = new BitSet(numStates);
    for (int s = 0; s < numStates; s++) {
      for (int c = 0; c < numClasses; c++) {
        if (next[s * numClasses + c] != DEAD) {
          hasNext.set(s);
          break;
        }
      }
    }
  }

  /** The tables of a minimal deterministic dk.brics automaton over chars 0..255. */
  static ByteDfa of(Automaton dfa, String description) {
    State initial = dfa.getInitialState();
    // Number states breadth-first from the start, so the numbering does not depend on hashing.
    Map<State, Integer> ids = new IdentityHashMap<>();
    List<State> order = new ArrayList<>();
    ArrayDeque<State> queue = new ArrayDeque<>();
    ids.put(initial, 0);
    order.add(initial);
    queue.add(initial);
    TreeSet<Integer> cuts = new TreeSet<>();
    cuts.add(0);
    cuts.add(256);
    while (!queue.isEmpty()) {
      State s = queue.poll();
      for (Transition t : s.getSortedTransitions(false)) {
        if (t.getMin() > 255) {
          continue;
        }
        cuts.add((int) t.getMin());
        cuts.add(Math.min(t.getMax(), 255) + 1);
        if (!ids.containsKey(t.getDest())) {
          ids.put(t.getDest(), order.size());
          order.add(t.getDest());
          queue.add(t.getDest());
        }
      }
    }
    Integer[] c = cuts.toArray(Integer[]::new);
    int numClasses = c.length - 1;
    if (numClasses > 256) {
      throw new IllegalStateException("more byte classes than bytes");
    }
    int[] classOfByte = new int[256];
    for (int k = 0; k < numClasses; k++) {
      for (int b = c[k]; b < c[k + 1]; b++) {
        classOfByte[b] = k;
      }
    }
    int n = order.size();
    int[] next = new int[n * numClasses];
    Arrays.fill(next, DEAD);
    BitSet accepting = new BitSet(n);
    for (int i = 0; i < n; i++) {
      State s = order.get(i);
      if (s.isAccept()) {
        accepting.set(i);
      }
      for (Transition t : s.getTransitions()) {
        for (int b = t.getMin(); b <= Math.min(t.getMax(), 255); b++) {
          next[i * numClasses + classOfByte[b]] = ids.get(t.getDest());
        }
      }
    }
    return new ByteDfa(n, numClasses, classOfByte, next, accepting, description);
  }

  public int numStates() {
    return numStates;
  }

  /** Number of byte classes (columns of the table). */
  public int numClasses() {
    return numClasses;
  }

  /** The state after reading {@code b} in {@code state}, or {@link #DEAD}. */
  public int step(int state, int b) {
    return next[state * numClasses + (classOf[b & 0xFF] & 0xFF)];
  }

  /** The state after reading {@code bytes} from {@code state}, or {@link #DEAD}. */
  public int walk(int state, byte[] bytes) {
    for (int i = 0; i < bytes.length && state != DEAD; i++) {
      state = step(state, bytes[i]);
    }
    return state;
  }

  /** Whether the text read so far is a whole match. */
  public boolean isAccepting(int state) {
    return accepting.get(state);
  }

  /** Whether any byte can follow in {@code state} (false: the match cannot grow). */
  public boolean hasTransitions(int state) {
    return hasNext.get(state);
  }

  /** Whether the DFA accepts exactly {@code bytes}. */
  public boolean matches(byte[] bytes) {
    int s = walk(0, bytes);
    return s != DEAD && isAccepting(s);
  }

  /** Approximate heap bytes of the tables. */
  public long bytes() {
    return 4L * next.length + 256 + 2L * (numStates / 8);
  }

  /** What the constraint is (for logs). */
  public String description() {
    return description;
  }

  @Override
  public String toString() {
    return "ByteDfa[" + description + ", " + numStates + " states, " + numClasses + " byte classes]";
  }
}
