package io.lorafleet.tools.simulation;

/** A growable FIFO of ints (request ids), as a ring buffer. */
final class IntQueue {
  private int[] items = new int[8];
  private int head;
  private int size;

  void add(int v) {
    if (size == items.length) {
      int[] grown = new int[items.length * 2];
      for (int i = 0; i < size; i++) {
        grown[i] = items[(head + i) & (items.length - 1)];
      }
      items = grown;
      head = 0;
    }
    items[(head + size) & (items.length - 1)] = v;
    size++;
  }

  int poll() {
    int v = items[head];
    head = (head + 1) & (items.length - 1);
    size--;
    return v;
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }
}
