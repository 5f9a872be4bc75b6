package io.lorafleet.runtime.constrain;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One engine's {@link TokenIndex}es (its vocabulary is fixed, so the key is the constraint), least recently
 * used first out once their masks together pass a heap budget. Sequences keep the index they started with,
 * so evicting one never disturbs a running request. Thread-safe.
 */
public final class TokenIndexCache {
  private final Supplier<TokenVocabulary> vocabulary;
  private final long maxBytes;
  private final LinkedHashMap<OutputConstraint, TokenIndex> indices = new LinkedHashMap<>(16, 0.75f, true);
  private volatile TokenVocabulary vocab;

  /**
   * @param vocabulary builds the engine's vocabulary (once, on first use: a large vocabulary takes a moment)
   * @param maxBytes   heap the cached indices may hold together
   */
  public TokenIndexCache(Supplier<TokenVocabulary> vocabulary, long maxBytes) {
    this.vocabulary = vocabulary;
    this.maxBytes = maxBytes;
  }

  public TokenVocabulary vocabulary() {
    TokenVocabulary v = vocab;
    if (v == null) {
      synchronized (this) {
        v = vocab;
        if (v == null) {
          v = vocabulary.get();
          vocab = v;
        }
      }
    }
    return v;
  }

  /** The index of {@code constraint} (compiled to {@code dfa}) over this engine's vocabulary. */
  public TokenIndex index(OutputConstraint constraint, ByteDfa dfa) {
    TokenVocabulary v = vocabulary();
    synchronized (indices) {
      TokenIndex idx = indices.get(constraint);
      if (idx == null) {
        idx = new TokenIndex(dfa, v);
        indices.put(constraint, idx);
      }
      evict();
      return idx;
    }
  }

  private void evict() {
    long total = 0;
    for (TokenIndex i : indices.values()) {
      total += i.heapBytes();
    }
    Iterator<Map.Entry<OutputConstraint, TokenIndex>> it = indices.entrySet().iterator();
    while (total > maxBytes && indices.size() > 1 && it.hasNext()) {
      total -= it.next().getValue().heapBytes();
      it.remove();
    }
  }

  /** Number of cached indices. */
  public int size() {
    synchronized (indices) {
      return indices.size();
    }
  }
}
