package io.lorafleet.tools.simulation;

import java.util.Arrays;

/**
 * The simulator's future events: a binary heap ordered by time, then by the order they were scheduled (so
 * equal times replay deterministically). An event is a kind, a node and one integer argument, packed into a
 * long; the heap holds primitives only (tens of millions of events per run).
 */
final class EventQueue {
  /** A node's batch reaches its next completion (argument: the node's schedule version). */
  static final int COMPLETION = 0;
  /** An adapter transfer to a node's device finished (argument: the adapter). */
  static final int LOAD_DONE = 1;
  /** A node samples and announces its load. */
  static final int ANNOUNCE = 2;
  /** A node's oldest announcement reaches the routers (gossip). */
  static final int PUBLISH = 3;
  /** The placement supervisor's periodic decision. */
  static final int TICK = 4;
  /** A metrics window ends. */
  static final int WINDOW = 5;

  private double[] time = new double[1024];
  private long[] order = new long[1024];
  private long[] payload = new long[1024];
  private int size;
  private long scheduled;
  private double lastTime;

  void push(double at, int kind, int node, int arg) {
    if (size == time.length) {
      int grown = size * 2;
      time = Arrays.copyOf(time, grown);
      order = Arrays.copyOf(order, grown);
      payload = Arrays.copyOf(payload, grown);
    }
    long o = scheduled++;
    long p = ((long) kind << 56) | ((long) node << 32) | (arg & 0xFFFFFFFFL);
    int i = size++;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (!before(at, o, time[parent], order[parent])) {
        break;
      }
      time[i] = time[parent];
      order[i] = order[parent];
      payload[i] = payload[parent];
      i = parent;
    }
    time[i] = at;
    order[i] = o;
    payload[i] = p;
  }

  boolean isEmpty() {
    return size == 0;
  }

  double peekTime() {
    return time[0];
  }

  /** Removes the earliest event and returns its packed kind/node/argument; its time is {@link #lastTime()}. */
  long pop() {
    long top = payload[0];
    lastTime = time[0];
    int n = --size;
    if (n > 0) {
      double t = time[n];
      long o = order[n];
      long p = payload[n];
      int i = 0;
      while (true) {
        int c = 2 * i + 1;
        if (c >= n) {
          break;
        }
        if (c + 1 < n && before(time[c + 1], order[c + 1], time[c], order[c])) {
          c++;
        }
        if (!before(time[c], order[c], t, o)) {
          break;
        }
        time[i] = time[c];
        order[i] = order[c];
        payload[i] = payload[c];
        i = c;
      }
      time[i] = t;
      order[i] = o;
      payload[i] = p;
    }
    return top;
  }

  double lastTime() {
    return lastTime;
  }

  int size() {
    return size;
  }

  static int kind(long event) {
    return (int) (event >>> 56);
  }

  static int node(long event) {
    return (int) ((event >>> 32) & 0xFFFFFF);
  }

  static int arg(long event) {
    return (int) event;
  }

  private static boolean before(double t1, long o1, double t2, long o2) {
    return t1 < t2 || (t1 == t2 && o1 < o2);
  }
}
