package io.lorafleet.runtime.constrain;

import dk.brics.automaton.Automaton;
import dk.brics.automaton.State;
import dk.brics.automaton.Transition;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Turns a {@link RegexNode} into a minimal DFA over UTF-8 bytes with dk.brics.automaton, within a budget.
 * Each node is built from its children's minimal DFAs with the library's operations (concatenation, union,
 * repetition, intersection), then determinized and minimized (Hopcroft, the library's). Determinization is
 * the step that can blow up exponentially on a hostile pattern ({@code (a|b)*a(a|b){20}}), and the library's
 * own subset construction has no way to stop, so this class runs the same subset construction with a cap on
 * the number of states and a deadline; sizes are also checked before every operation that copies automata.
 * One instance per compilation; not thread-safe.
 */
final class AutomatonBuilder {
  /** Wall-clock limit as a multiple of the CPU-time limit (a loaded machine runs the thread less often). */
  private static final int WALL_FACTOR = 5;
  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  private final ConstraintLimits limits;
  private final long cpuDeadline;
  private final long wallDeadline;
  private final String what;
  private final Map<CodePointSet, Automaton> charSets = new HashMap<>();
  /** Sub-trees shared by reference (JSON values, string characters) are built once. */
  private final Map<RegexNode, Automaton> built = new IdentityHashMap<>();

  AutomatonBuilder(ConstraintLimits limits, String what) {
    this.limits = limits;
    long budget = limits.compileTimeout().toNanos();
    this.cpuDeadline = cpuNanos() + budget;
    this.wallDeadline = System.nanoTime() + WALL_FACTOR * budget;
    this.what = what;
  }

  /** The minimal DFA of {@code node}. */
  Automaton build(RegexNode node) {
    Automaton done = built.get(node);
    if (done == null) {
      done = buildNew(node);
      built.put(node, done);
    }
    return done; // the library's operations copy their arguments
  }

  private Automaton buildNew(RegexNode node) {
    checkTime();
    return switch (node) {
      case RegexNode.Chars c -> charSets.computeIfAbsent(c.set(), s -> finish(Utf8Automata.of(s))).clone();
      case RegexNode.Text t -> Automaton.makeString(Utf8Automata.bytesOf(t.text()));
      case RegexNode.Concat c -> {
        List<Automaton> parts = new ArrayList<>();
        long states = 0;
        for (RegexNode p : c.parts()) {
          Automaton a = build(p);
          states += a.getNumberOfStates();
          checkNfa(states);
          parts.add(a);
        }
        yield finish(Automaton.concatenate(parts));
      }
      case RegexNode.Alt a -> {
        if (a.options().isEmpty()) {
          yield Automaton.makeEmpty();
        }
        List<Automaton> options = new ArrayList<>();
        long states = 0;
        for (RegexNode o : a.options()) {
          Automaton x = build(o);
          states += x.getNumberOfStates();
          checkNfa(states);
          options.add(x);
        }
        yield finish(Automaton.union(options));
      }
      case RegexNode.Repeat r -> {
        Automaton body = build(r.body());
        long copies = r.max() == RegexNode.UNBOUNDED ? r.min() + 1L : Math.max(r.max(), 1);
        checkNfa(copies * body.getNumberOfStates());
        Automaton rep = r.max() == RegexNode.UNBOUNDED ? body.repeat(r.min()) : body.repeat(r.min(), r.max());
        yield finish(rep);
      }
      case RegexNode.Both b -> {
        Automaton x = build(b.a());
        Automaton y = build(b.b());
        checkNfa((long) x.getNumberOfStates() * y.getNumberOfStates());
        yield finish(x.intersection(y));
      }
    };
  }

  private void checkNfa(long states) {
    if (states > limits.maxNfaStates()) {
      throw new ConstraintException(what + " is too complex: its automaton would need more than "
          + limits.maxNfaStates() + " states before determinization");
    }
  }

  /** CPU time of this thread (what a hostile pattern makes the node spend), or wall time where unsupported. */
  private static long cpuNanos() {
    long t = THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : -1;
    return t >= 0 ? t : System.nanoTime();
  }

  private void checkTime() {
    if (cpuNanos() > cpuDeadline || System.nanoTime() > wallDeadline) {
      throw new ConstraintException(what + " is too complex: compiling it took more than "
          + limits.compileTimeout().toMillis() + " ms of CPU time");
    }
  }

  private ConstraintException tooManyStates() {
    return new ConstraintException(what + " is too complex: its automaton needs more than " + limits.maxDfaStates()
        + " states");
  }

  /** Determinizes (bounded) and minimizes. */
  private Automaton finish(Automaton a) {
    if (a.getSingleton() != null) {
      return a; // a plain string: already minimal
    }
    Table t = determinize(a);
    t = t.withoutDeadStates().minimized(this);
    checkTime();
    return t.toAutomaton();
  }

  /**
   * A DFA as a table over the alphabet intervals {@code points[i] .. points[i+1]-1}: {@code next[s * k + i]}
   * is the target state or -1. State 0 is the start.
   */
  private record Table(int n, int[] points, int[] next, boolean[] accept) {
    int k() {
      return points.length - 1;
    }

    /** Only the states that can reach an accepting state (and are reachable); -1 for the rest. */
    Table withoutDeadStates() {
      int k = k();
      // Reverse edges, then walk back from the accepting states.
      int[] inCount = new int[n + 1];
      for (int s = 0; s < n; s++) {
        for (int x = 0; x < k; x++) {
          int t = next[s * k + x];
          if (t >= 0) {
            inCount[t + 1]++;
          }
        }
      }
      for (int i = 0; i < n; i++) {
        inCount[i + 1] += inCount[i];
      }
      int[] fill = Arrays.copyOf(inCount, n);
      int[] from = new int[inCount[n]];
      for (int s = 0; s < n; s++) {
        for (int x = 0; x < k; x++) {
          int t = next[s * k + x];
          if (t >= 0) {
            from[fill[t]++] = s;
          }
        }
      }
      boolean[] live = new boolean[n];
      int[] queue = new int[n];
      int qn = 0;
      for (int s = 0; s < n; s++) {
        if (accept[s]) {
          live[s] = true;
          queue[qn++] = s;
        }
      }
      for (int qi = 0; qi < qn; qi++) {
        int t = queue[qi];
        for (int e = inCount[t]; e < inCount[t + 1]; e++) {
          if (!live[from[e]]) {
            live[from[e]] = true;
            queue[qn++] = from[e];
          }
        }
      }
      if (!live[0]) {
        return new Table(1, new int[] {0, 1}, new int[] {-1}, new boolean[] {false});
      }
      int[] renumber = new int[n];
      int m = 0;
      for (int s = 0; s < n; s++) {
        renumber[s] = live[s] ? m++ : -1;
      }
      int[] nn = new int[m * k];
      boolean[] acc = new boolean[m];
      for (int s = 0; s < n; s++) {
        if (live[s]) {
          acc[renumber[s]] = accept[s];
          for (int x = 0; x < k; x++) {
            int t = next[s * k + x];
            nn[renumber[s] * k + x] = t >= 0 ? renumber[t] : -1;
          }
        }
      }
      return new Table(m, points, nn, acc);
    }

    /**
     * Hopcroft's minimization in the form of Valmari and Lehtinen ("Efficient minimization of DFAs with
     * partial transition functions", 2008): blocks of states and "cords" of transitions with the same label
     * refine each other; O(m log n) for m transitions. Expects no dead states (see {@link
     * #withoutDeadStates()}); every state is reachable from the start by construction.
     */
    Table minimized(AutomatonBuilder budget) {
      int k = k();
      int m = 0;
      for (int v : next) {
        if (v >= 0) {
          m++;
        }
      }
      int[] tail = new int[m];
      int[] label = new int[m];
      int[] head = new int[m];
      int e = 0;
      for (int s = 0; s < n; s++) {
        for (int x = 0; x < k; x++) {
          int t = next[s * k + x];
          if (t >= 0) {
            tail[e] = s;
            label[e] = x;
            head[e] = t;
            e++;
          }
        }
      }
      Refinement blocks = new Refinement(n);
      for (int s = 0; s < n; s++) {
        if (accept[s]) {
          blocks.mark(s);
        }
      }
      blocks.split();
      // Cords: transitions grouped by label (already in label order within each state; sort globally).
      Refinement cords = new Refinement(m);
      if (m > 0) {
        Integer[] byLabel = new Integer[m];
        for (int i = 0; i < m; i++) {
          byLabel[i] = i;
        }
        Arrays.sort(byLabel, (p, q) -> Integer.compare(label[p], label[q]));
        cords.z = 0;
        int a = label[byLabel[0]];
        cords.first[0] = 0;
        for (int i = 0; i < m; i++) {
          int t = byLabel[i];
          if (label[t] != a) {
            a = label[t];
            cords.past[cords.z++] = i;
            cords.first[cords.z] = i;
            cords.marked[cords.z] = 0;
          }
          cords.set[t] = cords.z;
          cords.loc[t] = i;
          cords.elems[i] = t;
        }
        cords.past[cords.z++] = m;
      }
      // Incoming transitions of each state.
      int[] inStart = new int[n + 1];
      for (int t = 0; t < m; t++) {
        inStart[head[t]]++;
      }
      for (int s = 0; s < n; s++) {
        inStart[s + 1] += inStart[s];
      }
      int[] incoming = new int[m];
      for (int t = 0; t < m; t++) {
        incoming[--inStart[head[t]]] = t;
      }
      int b = 1;
      int c = 0;
      int rounds = 0;
      while (c < cords.z) {
        if ((++rounds & 255) == 0) {
          budget.checkTime();
        }
        for (int i = cords.first[c]; i < cords.past[c]; i++) {
          blocks.mark(tail[cords.elems[i]]);
        }
        blocks.split();
        c++;
        while (b < blocks.z) {
          for (int i = blocks.first[b]; i < blocks.past[b]; i++) {
            int st = blocks.elems[i];
            for (int j = inStart[st]; j < inStart[st + 1]; j++) {
              cords.mark(incoming[j]);
            }
          }
          cords.split();
          b++;
        }
      }
      // One state per block, the start's block first.
      int[] order = new int[blocks.z];
      Arrays.fill(order, -1);
      int count = 0;
      order[blocks.set[0]] = count++;
      for (int st = 1; st < n; st++) {
        if (order[blocks.set[st]] < 0) {
          order[blocks.set[st]] = count++;
        }
      }
      int[] nn = new int[count * k];
      Arrays.fill(nn, -1);
      boolean[] acc = new boolean[count];
      for (int st = 0; st < n; st++) {
        acc[order[blocks.set[st]]] = accept[st];
      }
      for (int t = 0; t < m; t++) {
        nn[order[blocks.set[tail[t]]] * k + label[t]] = order[blocks.set[head[t]]];
      }
      return new Table(count, points, nn, acc);
    }

    Automaton toAutomaton() {
      int k = k();
      State[] states = new State[n];
      for (int s = 0; s < n; s++) {
        states[s] = new State();
        states[s].setAccept(accept[s]);
      }
      for (int s = 0; s < n; s++) {
        int x = 0;
        while (x < k) {
          int t = next[s * k + x];
          int y = x;
          while (y + 1 < k && next[s * k + y + 1] == t) {
            y++;
          }
          if (t >= 0) {
            states[s].addTransition(new Transition((char) points[x], (char) (points[y + 1] - 1), states[t]));
          }
          x = y + 1;
        }
      }
      Automaton a = new Automaton();
      a.setInitialState(states[0]);
      a.setDeterministic(true);
      return a;
    }
  }

  /** The subset construction, stopped when it exceeds the state cap or the deadline. */
  private Table determinize(Automaton nfa) {
    // Number the NFA's states (start first) and copy their transitions into arrays.
    List<State> order = new ArrayList<>();
    Map<State, Integer> index = new IdentityHashMap<>();
    State init = nfa.getInitialState();
    index.put(init, 0);
    order.add(init);
    for (State s : nfa.getStates()) {
      if (s != init) {
        index.put(s, order.size());
        order.add(s);
      }
    }
    int n = order.size();
    int[][] tMin = new int[n][];
    int[][] tMax = new int[n][];
    int[][] tTo = new int[n][];
    boolean[] accept = new boolean[n];
    TreeSet<Integer> cuts = new TreeSet<>();
    for (int i = 0; i < n; i++) {
      State s = order.get(i);
      accept[i] = s.isAccept();
      List<Transition> ts = new ArrayList<>(s.getTransitions());
      tMin[i] = new int[ts.size()];
      tMax[i] = new int[ts.size()];
      tTo[i] = new int[ts.size()];
      for (int e = 0; e < ts.size(); e++) {
        Transition t = ts.get(e);
        tMin[i][e] = t.getMin();
        tMax[i][e] = t.getMax();
        tTo[i][e] = index.get(t.getDest());
        cuts.add((int) t.getMin());
        cuts.add(t.getMax() + 1);
      }
    }
    if (cuts.isEmpty()) {
      cuts.add(0);
      cuts.add(1);
    }
    int[] points = cuts.stream().mapToInt(Integer::intValue).toArray();
    int k = points.length - 1;
    Map<Subset, Integer> ids = new HashMap<>();
    List<int[]> subsets = new ArrayList<>();
    int[] start = {0};
    ids.put(new Subset(start), 0);
    subsets.add(start);
    int[] next = new int[64 * k];
    List<Boolean> acc = new ArrayList<>();
    int[] stamp = new int[n];
    int stampValue = 0;
    int[] members = new int[n];
    int[][] buckets = new int[k][4];
    int[] bucketSize = new int[k];
    int[] touchedIntervals = new int[k];
    int touchedCount;
    for (int cur = 0; cur < subsets.size(); cur++) {
      if ((cur & 63) == 0) {
        checkTime();
      }
      int[] set = subsets.get(cur);
      boolean a = false;
      for (int q : set) {
        a |= accept[q];
      }
      acc.add(a);
      if (next.length < (cur + 1) * k) {
        next = Arrays.copyOf(next, Math.max(next.length * 2, (cur + 1) * k));
      }
      Arrays.fill(next, cur * k, (cur + 1) * k, -1);
      // Spread each member's transitions over the intervals they cover, then make one subset per interval.
      touchedCount = 0;
      for (int q : set) {
        for (int e = 0; e < tMin[q].length; e++) {
          int xa = Arrays.binarySearch(points, tMin[q][e]);
          for (int x = xa; x < k && points[x] <= tMax[q][e]; x++) {
            if (bucketSize[x] == 0) {
              touchedIntervals[touchedCount++] = x;
            }
            if (bucketSize[x] == buckets[x].length) {
              buckets[x] = Arrays.copyOf(buckets[x], buckets[x].length * 2);
            }
            buckets[x][bucketSize[x]++] = tTo[q][e];
          }
        }
      }
      for (int ti = 0; ti < touchedCount; ti++) {
        int x = touchedIntervals[ti];
        stampValue++;
        int count = 0;
        for (int i = 0; i < bucketSize[x]; i++) {
          int to = buckets[x][i];
          if (stamp[to] != stampValue) {
            stamp[to] = stampValue;
            members[count++] = to;
          }
        }
        bucketSize[x] = 0;
        int[] t = Arrays.copyOf(members, count);
        Arrays.sort(t);
        Subset key = new Subset(t);
        Integer id = ids.get(key);
        if (id == null) {
          if (subsets.size() >= limits.maxDfaStates()) {
            throw tooManyStates();
          }
          id = subsets.size();
          ids.put(key, id);
          subsets.add(t);
        }
        next[cur * k + x] = id;
      }
    }
    int m = subsets.size();
    boolean[] accepting = new boolean[m];
    for (int i = 0; i < m; i++) {
      accepting[i] = acc.get(i);
    }
    return new Table(m, points, Arrays.copyOf(next, m * k), accepting);
  }

  /**
   * A partition of 0..n-1 into sets, refined by marking elements and splitting every set that has both
   * marked and unmarked ones (the smaller part gets the new index).
   */
  private static final class Refinement {
    final int[] elems;
    final int[] loc;
    final int[] set;
    final int[] first;
    final int[] past;
    final int[] marked;
    final int[] touched;
    int z;
    int w;

    Refinement(int n) {
      elems = new int[n];
      loc = new int[n];
      set = new int[n];
      first = new int[n + 1];
      past = new int[n + 1];
      marked = new int[n + 1];
      touched = new int[n + 1];
      for (int i = 0; i < n; i++) {
        elems[i] = i;
        loc[i] = i;
      }
      z = n > 0 ? 1 : 0;
      past[0] = n;
    }

    void mark(int e) {
      int s = set[e];
      int i = loc[e];
      int j = first[s] + marked[s];
      if (i < j) {
        return; // already marked
      }
      elems[i] = elems[j];
      loc[elems[i]] = i;
      elems[j] = e;
      loc[e] = j;
      if (marked[s]++ == 0) {
        touched[w++] = s;
      }
    }

    void split() {
      while (w > 0) {
        int s = touched[--w];
        int j = first[s] + marked[s];
        if (j == past[s]) {
          marked[s] = 0;
          continue;
        }
        if (marked[s] <= past[s] - j) {
          first[z] = first[s];
          past[z] = j;
          first[s] = j;
        } else {
          past[z] = past[s];
          first[z] = j;
          past[s] = j;
        }
        for (int i = first[z]; i < past[z]; i++) {
          set[elems[i]] = z;
        }
        marked[s] = 0;
        marked[z] = 0;
        z++;
      }
    }
  }

  /** A set of NFA states (sorted ids) as a map key. */
  private record Subset(int[] states) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Subset s && Arrays.equals(states, s.states);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(states);
    }
  }
}
