package io.lorafleet.runtime.engine;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.function.Predicate;

/**
 * Waiting sequences, by {@link PriorityClass} first: the most urgent class with any waiting sequence decides
 * what is admitted next, and a less urgent class never overtakes it. Within a class, one FIFO per adapter,
 * served round-robin across adapters so that an adapter with many queued requests cannot starve the others;
 * preempted sequences of the class wait in a separate queue served first.
 *
 * <p>Aging ({@link #age}): a sequence that has waited {@code agingNanos} in its class rises one class (to the
 * back of that class's queue for its adapter, or among its preempted sequences by arrival), and at most one
 * sequence per class rises per {@code agingNanos}, the one that entered the class first. So under a load of
 * a more urgent class that never lets up, a less urgent class still gets one sequence per interval through,
 * while a flood of a less urgent class cannot turn into a flood of the most urgent one.
 */
final class FairQueue {
  private static final PriorityClass[] CLASSES = PriorityClass.values();

  private final ClassQueue[] classes = new ClassQueue[CLASSES.length];
  private final long agingNanos;
  /** When a sequence last left each class by aging ({@code Long.MIN_VALUE}: never). */
  private final long[] lastPromotion = new long[CLASSES.length];
  private final long[] promotions = new long[CLASSES.length];
  private int size;

  /** @param agingNanos how long a sequence waits in its class before it may rise (0: never) */
  FairQueue(long agingNanos) {
    this.agingNanos = agingNanos;
    for (int i = 0; i < classes.length; i++) {
      classes[i] = new ClassQueue();
      lastPromotion[i] = Long.MIN_VALUE;
    }
  }

  /** Without aging. */
  FairQueue() {
    this(0);
  }

  /** A new sequence, in its request's class, from {@code nowNanos}. */
  void add(Sequence s, long nowNanos) {
    s.setSchedulingClass(s.priority(), nowNanos);
    classes[s.schedulingClass().ordinal()].add(s);
    size++;
  }

  /** A preempted sequence: it goes before every new one of its class (the class it ran in), oldest first. */
  void addPreempted(Sequence s, long nowNanos) {
    s.setSchedulingClass(s.schedulingClass(), nowNanos);
    classes[s.schedulingClass().ordinal()].addPreempted(s);
    size++;
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** Sequences waiting in {@code c} now (aging included). */
  int size(PriorityClass c) {
    return classes[c.ordinal()].size;
  }

  /** Sequences that left class {@code from} by aging since the start. */
  long promotions(PriorityClass from) {
    return promotions[from.ordinal()];
  }

  /**
   * Raises, in each class but the most urgent, the sequence that entered it first by one class if it has
   * waited there {@code agingNanos} and no sequence left that class in the last {@code agingNanos}. Less
   * urgent classes first, so a sequence rises at most one class per call.
   */
  void age(long nowNanos) {
    if (agingNanos <= 0 || size == 0) {
      return;
    }
    for (int i = CLASSES.length - 1; i > 0; i--) {
      ClassQueue q = classes[i];
      if (q.size == 0 || lastPromotion[i] != Long.MIN_VALUE && nowNanos - lastPromotion[i] < agingNanos) {
        continue;
      }
      Sequence oldest = q.oldest();
      if (nowNanos - oldest.classSinceNanos() < agingNanos) {
        continue;
      }
      boolean wasPreempted = q.isPreempted(oldest);
      q.remove(oldest);
      lastPromotion[i] = nowNanos;
      promotions[i]++;
      oldest.setSchedulingClass(CLASSES[i - 1], nowNanos);
      if (wasPreempted) {
        classes[i - 1].addPreempted(oldest);
      } else {
        classes[i - 1].add(oldest);
      }
    }
  }

  /**
   * The sequence to admit next among those {@code admissible} accepts, from the most urgent class that has
   * any waiting: its oldest preempted one, else the head of the first adapter queue in rotation order whose
   * head is admissible. Null when that class has none admissible now (a less urgent class does not overtake
   * it). Does not remove it.
   */
  Sequence peek(Predicate<Sequence> admissible) {
    for (ClassQueue q : classes) {
      if (q.size > 0) {
        return q.peek(admissible);
      }
    }
    return null;
  }

  /** Removes {@code s}, which {@link #peek} just returned, and rotates its adapter to the back of its class. */
  void take(Sequence s) {
    classes[s.schedulingClass().ordinal()].take(s);
    size--;
  }

  /** Removes a sequence wherever it is (cancellation). */
  boolean remove(Sequence s) {
    if (classes[s.schedulingClass().ordinal()].remove(s)) {
      size--;
      return true;
    }
    return false;
  }

  /** The waiting sequences of one class: adapter round-robin, preempted ones first. */
  private static final class ClassQueue {
    private final ArrayDeque<Sequence> preempted = new ArrayDeque<>();
    /** Iteration order is the rotation: the adapter served last moves to the end. */
    private final LinkedHashMap<String, ArrayDeque<Sequence>> byAdapter = new LinkedHashMap<>();
    private int size;

    void add(Sequence s) {
      byAdapter.computeIfAbsent(s.adapterKey(), k -> new ArrayDeque<>()).addLast(s);
      size++;
    }

    void addPreempted(Sequence s) {
      // Keep arrival order among preempted sequences.
      if (preempted.isEmpty() || preempted.peekLast().arrivalOrder() < s.arrivalOrder()) {
        preempted.addLast(s);
      } else {
        ArrayDeque<Sequence> sorted = new ArrayDeque<>();
        boolean placed = false;
        for (Sequence p : preempted) {
          if (!placed && s.arrivalOrder() < p.arrivalOrder()) {
            sorted.addLast(s);
            placed = true;
          }
          sorted.addLast(p);
        }
        preempted.clear();
        preempted.addAll(sorted);
      }
      size++;
    }

    boolean isPreempted(Sequence s) {
      return preempted.contains(s);
    }

    /**
     * The sequence that entered the class first: adapter queues are FIFO by entry, so only their heads
     * compete; preempted sequences are ordered by arrival, so all of them do (they are few).
     */
    Sequence oldest() {
      Sequence best = null;
      for (Sequence p : preempted) {
        best = older(best, p);
      }
      for (ArrayDeque<Sequence> q : byAdapter.values()) {
        best = older(best, q.peekFirst());
      }
      return best;
    }

    private static Sequence older(Sequence a, Sequence b) {
      if (a == null) {
        return b;
      }
      long d = b.classSinceNanos() - a.classSinceNanos();
      return d < 0 || d == 0 && b.arrivalOrder() < a.arrivalOrder() ? b : a;
    }

    Sequence peek(Predicate<Sequence> admissible) {
      if (!preempted.isEmpty()) {
        // Preempted work goes first; if it cannot run now nothing newer of its class may overtake it.
        Sequence p = preempted.peekFirst();
        return admissible.test(p) ? p : null;
      }
      for (ArrayDeque<Sequence> q : byAdapter.values()) {
        Sequence head = q.peekFirst();
        if (admissible.test(head)) {
          return head;
        }
      }
      return null;
    }

    void take(Sequence s) {
      if (preempted.peekFirst() == s) {
        preempted.pollFirst();
        size--;
        return;
      }
      ArrayDeque<Sequence> q = byAdapter.remove(s.adapterKey());
      if (q == null || q.peekFirst() != s) {
        throw new IllegalStateException(s + " is not at the head of its queue");
      }
      q.pollFirst();
      if (!q.isEmpty()) {
        byAdapter.put(s.adapterKey(), q);
      }
      size--;
    }

    boolean remove(Sequence s) {
      if (preempted.remove(s)) {
        size--;
        return true;
      }
      ArrayDeque<Sequence> q = byAdapter.get(s.adapterKey());
      if (q != null && q.remove(s)) {
        if (q.isEmpty()) {
          byAdapter.remove(s.adapterKey());
        }
        size--;
        return true;
      }
      return false;
    }
  }
}
