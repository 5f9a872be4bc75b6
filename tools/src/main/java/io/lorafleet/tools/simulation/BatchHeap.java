package io.lorafleet.tools.simulation;

import java.util.Arrays;

/**
 * The running batch of a node: requests keyed by the node's step count at which they finish, smallest first
 * (every running sequence advances one token per step, so they finish in that order).
 */
final class BatchHeap {
  private double[] key;
  private int[] request;
  private int size;

  BatchHeap(int capacity) {
    key = new double[Math.max(4, capacity)];
    request = new int[key.length];
  }

  void push(double finishStep, int r) {
    if (size == key.length) {
      key = Arrays.copyOf(key, size * 2);
      request = Arrays.copyOf(request, size * 2);
    }
    int i = size++;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (key[parent] <= finishStep) {
        break;
      }
      key[i] = key[parent];
      request[i] = request[parent];
      i = parent;
    }
    key[i] = finishStep;
    request[i] = r;
  }

  double minKey() {
    return key[0];
  }

  /** Removes the request that finishes first and returns it. */
  int pop() {
    int top = request[0];
    int n = --size;
    if (n > 0) {
      double k = key[n];
      int r = request[n];
      int i = 0;
      while (true) {
        int c = 2 * i + 1;
        if (c >= n) {
          break;
        }
        if (c + 1 < n && key[c + 1] < key[c]) {
          c++;
        }
        if (key[c] >= k) {
          break;
        }
        key[i] = key[c];
        request[i] = request[c];
        i = c;
      }
      key[i] = k;
      request[i] = r;
    }
    return top;
  }

  int size() {
    return size;
  }
}
