package io.lorafleet.runtime.constrain;

import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * For one compiled constraint and one vocabulary: which tokens each DFA state allows. A state's mask is
 * computed the first time it is asked for, by walking the vocabulary's trie through the DFA from that state
 * (a token is allowed when all its bytes can be read; as every live DFA state can still reach an accepting
 * one, that is exactly "the text stays a prefix of a match"), and kept for every later sequence. Thread-safe:
 * two threads asking for the same state share one computation (the engine computes the next masks on a
 * helper thread while the forward pass runs).
 */
public final class TokenIndex {
  private final ByteDfa dfa;
  private final TokenVocabulary vocab;
  /** Per state: null, a FutureTask computing the mask, or the TokenMask; the last slot is the start-of-text mask. */
  private final AtomicReferenceArray<Object> masks;
  private final AtomicLong heapBytes = new AtomicLong();
  private final AtomicLong computeNanos = new AtomicLong();

  public TokenIndex(ByteDfa dfa, TokenVocabulary vocab) {
    this.dfa = dfa;
    this.vocab = vocab;
    this.masks = new AtomicReferenceArray<>(dfa.numStates() + 1);
    heapBytes.set(dfa.bytes() + 16L * (dfa.numStates() + 1));
  }

  public ByteDfa dfa() {
    return dfa;
  }

  public TokenVocabulary vocabulary() {
    return vocab;
  }

  /** The tokens allowed in {@code state}; {@code atStart}: as the first token of the output. */
  public TokenMask mask(int state, boolean atStart) {
    boolean first = atStart && vocab.trie(true) != vocab.trie(false);
    int slot = first ? dfa.numStates() : state;
    if (first && state != 0) {
      throw new IllegalArgumentException("the start-of-text mask is for the start state");
    }
    Object v = masks.get(slot);
    if (v instanceof TokenMask m) {
      return m;
    }
    if (v == null) {
      FutureTask<TokenMask> task = new FutureTask<>(() -> compute(state, first));
      if (masks.compareAndSet(slot, null, task)) {
        task.run();
        v = task;
      } else {
        v = masks.get(slot);
      }
    }
    if (v instanceof TokenMask m) {
      return m;
    }
    TokenMask m = await((FutureTask<?>) v);
    masks.set(slot, m);
    return m;
  }

  /** Whether the mask of the state is already known (no walk needed). */
  public boolean isComputed(int state, boolean atStart) {
    boolean first = atStart && vocab.trie(true) != vocab.trie(false);
    return masks.get(first ? dfa.numStates() : state) instanceof TokenMask;
  }

  /** The state after {@code token}, or {@link ByteDfa#DEAD} when the token is not allowed there. */
  public int next(int state, int token, boolean atStart) {
    byte[] b = vocab.bytes(token, atStart);
    return b == null ? ByteDfa.DEAD : dfa.walk(state, b);
  }

  /** Heap held by the DFA and the masks computed so far. */
  public long heapBytes() {
    return heapBytes.get();
  }

  /** Time spent computing masks so far. */
  public long computeNanos() {
    return computeNanos.get();
  }

  private static TokenMask await(FutureTask<?> task) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return (TokenMask) task.get();
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          if (e.getCause() instanceof RuntimeException r) {
            throw r;
          }
          throw new IllegalStateException(e.getCause());
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private TokenMask compute(int state, boolean atStart) {
    long t0 = System.nanoTime();
    TokenVocabulary.Trie trie = vocab.trie(atStart);
    long[] bits = new long[(vocab.size() + 63) >>> 6];
    int[] nodes = new int[256];
    int[] states = new int[256];
    int top = 0;
    nodes[top] = 0;
    states[top++] = state;
    int[] childStart = trie.childStart();
    byte[] childByte = trie.childByte();
    int[] childNode = trie.childNode();
    int[] tokenStart = trie.tokenStart();
    int[] tokenIds = trie.tokenIds();
    while (top > 0) {
      top--;
      int node = nodes[top];
      int s = states[top];
      for (int c = childStart[node]; c < childStart[node + 1]; c++) {
        int s2 = dfa.step(s, childByte[c]);
        if (s2 == ByteDfa.DEAD) {
          continue;
        }
        int v = childNode[c];
        for (int k = tokenStart[v]; k < tokenStart[v + 1]; k++) {
          int id = tokenIds[k];
          bits[id >>> 6] |= 1L << id;
        }
        if (childStart[v + 1] > childStart[v]) {
          if (top == nodes.length) {
            nodes = Arrays.copyOf(nodes, top * 2);
            states = Arrays.copyOf(states, top * 2);
          }
          nodes[top] = v;
          states[top++] = s2;
        }
      }
    }
    TokenMask m = new TokenMask(bits);
    heapBytes.addAndGet(m.heapBytes());
    computeNanos.addAndGet(System.nanoTime() - t0);
    return m;
  }
}
