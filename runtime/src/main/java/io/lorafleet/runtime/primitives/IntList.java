package io.lorafleet.runtime.primitives;

import java.util.Arrays;

/** A growable array of ints (appended to, read by index, copied out once). Not thread-safe. */
public final class IntList {
  private int[] a;
  private int n;

  public IntList() {
    this(16);
  }

  /** @param capacity initial capacity (at least 1) */
  public IntList(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity " + capacity);
    }
    a = new int[capacity];
  }

  public void add(int v) {
    if (n == a.length) {
      a = Arrays.copyOf(a, n * 2);
    }
    a[n++] = v;
  }

  public int get(int i) {
    if (i >= n) {
      throw new IndexOutOfBoundsException("index " + i + " of " + n);
    }
    return a[i];
  }

  public int size() {
    return n;
  }

  /** The values added, in order, as a new array. */
  public int[] toArray() {
    return Arrays.copyOf(a, n);
  }
}
