package io.lorafleet.runtime.engine;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.function.Predicate;

/**
 * Waiting sequences, one FIFO per adapter, served round-robin across adapters so that an adapter with many
 * queued requests cannot starve the others. Preempted sequences wait in a separate queue served first.
 */
final class FairQueue {
  private final ArrayDeque<Sequence> preempted = new ArrayDeque<>();
  /** Iteration order is the rotation: the adapter served last moves to the end. */
  private final LinkedHashMap<String, ArrayDeque<Sequence>> byAdapter = new LinkedHashMap<>();
  private int size;

  void add(Sequence s) {
    byAdapter.computeIfAbsent(s.adapterKey(), k -> new ArrayDeque<>()).addLast(s);
    size++;
  }

  /** A preempted sequence: it goes before every new one, oldest preempted first. */
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

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  /**
   * The sequence to admit next among those {@code admissible} accepts: the oldest preempted one, else the
   * head of the first adapter queue in rotation order whose head is admissible. Does not remove it.
   */
  Sequence peek(Predicate<Sequence> admissible) {
    if (!preempted.isEmpty()) {
      // Preempted work goes first; if it cannot run now nothing newer may overtake it.
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

  /** Removes {@code s}, which {@link #peek} just returned, and rotates its adapter to the back. */
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

  /** Removes a sequence wherever it is (cancellation). */
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
