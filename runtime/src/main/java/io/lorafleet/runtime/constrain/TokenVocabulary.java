package io.lorafleet.runtime.constrain;

import io.lorafleet.runtime.primitives.IntList;
import io.lorafleet.runtime.tokenizer.TokenBytes;
import java.util.Arrays;

/**
 * A model's vocabulary for constrained decoding: the bytes each token id adds to the text, arranged in a
 * trie so that the tokens a DFA state allows are found by walking the trie and the DFA together (shared
 * prefixes are stepped once, and a whole subtree is skipped as soon as the DFA rejects its prefix).
 * Special tokens, ids the tokenizer does not know and the padding rows of a larger embedding have no bytes
 * and are never allowed. When the decoder treats the first token of a text differently (SentencePiece
 * strips its leading space, space-joined tokens have no separator), a second trie holds those first-token
 * bytes. Immutable and shared by every constraint of an engine.
 */
public final class TokenVocabulary {
  private final int size;
  private final byte[][] bytes;
  private final byte[][] first;
  private final Trie trie;
  private final Trie firstTrie;

  private TokenVocabulary(int size, byte[][] bytes, byte[][] first, boolean startDiffers) {
    this.size = size;
    this.bytes = bytes;
    this.first = first;
    this.trie = Trie.of(bytes);
    this.firstTrie = startDiffers ? Trie.of(first) : trie;
  }

  /**
   * @param tokenBytes the tokenizer's token bytes
   * @param size       width of the model's logits (its {@code vocab_size}), at least the tokenizer's ids
   */
  public static TokenVocabulary of(TokenBytes tokenBytes, int size) {
    byte[][] bytes = new byte[size][];
    byte[][] first = new byte[size][];
    for (int id = 0; id < Math.min(size, tokenBytes.idLimit()); id++) {
      byte[] b = tokenBytes.bytes(id);
      byte[] f = tokenBytes.firstBytes(id);
      // An empty token would let a sequence grow without moving through the DFA: never allow it.
      bytes[id] = b == null || b.length == 0 ? null : b;
      first[id] = f == null || f.length == 0 ? null : f;
    }
    return new TokenVocabulary(size, bytes, first, tokenBytes.startDiffers());
  }

  /** Width of the masks: the model's vocabulary size. */
  public int size() {
    return size;
  }

  /** The bytes of {@code id} (as the first token of the text when {@code atStart}), or null. */
  public byte[] bytes(int id, boolean atStart) {
    return id < 0 || id >= size ? null : atStart ? first[id] : bytes[id];
  }

  Trie trie(boolean atStart) {
    return atStart ? firstTrie : trie;
  }

  /**
   * The trie in flat arrays: node 0 is the root; the children of node n are {@code childStart[n] ..
   * childStart[n+1]-1} in {@code childNode}, labelled by {@code childByte}; the tokens ending at node n are
   * {@code tokenStart[n] .. tokenStart[n+1]-1} in {@code tokenIds}.
   */
  record Trie(int[] childStart, byte[] childByte, int[] childNode, int[] tokenStart, int[] tokenIds) {
    int numNodes() {
      return childStart.length - 1;
    }

    static Trie of(byte[][] tokens) {
      // Sort ids by their bytes; a trie's nodes are then the distinct prefixes, discovered in order.
      Integer[] ids = java.util.stream.IntStream.range(0, tokens.length).filter(i -> tokens[i] != null).boxed()
          .toArray(Integer[]::new);
      Arrays.sort(ids, (a, b) -> {
        int c = Arrays.compareUnsigned(tokens[a], tokens[b]);
        return c != 0 ? c : Integer.compare(a, b);
      });
      // Build with growable parent/label lists, then lay children out contiguously (BFS order).
      IntList parent = new IntList(1024);
      IntList label = new IntList(1024);
      IntList tokenNode = new IntList(1024);
      parent.add(-1);
      label.add(0);
      int[] path = new int[64];
      byte[] prev = new byte[0];
      for (int id : ids) {
        byte[] t = tokens[id];
        int common = 0;
        while (common < prev.length && common < t.length && prev[common] == t[common]) {
          common++;
        }
        if (path.length < t.length + 1) {
          path = Arrays.copyOf(path, t.length * 2 + 1);
        }
        path[0] = 0;
        for (int i = common; i < t.length; i++) {
          int node = parent.size();
          parent.add(path[i]);
          label.add(t[i] & 0xFF);
          path[i + 1] = node;
        }
        tokenNode.add(path[t.length]);
        prev = t;
      }
      int n = parent.size();
      // Children in creation order are already sorted by label within a parent (ids sorted by bytes).
      int[] childCount = new int[n + 1];
      for (int v = 1; v < n; v++) {
        childCount[parent.get(v)]++;
      }
      int[] childStart = new int[n + 1];
      for (int v = 0; v < n; v++) {
        childStart[v + 1] = childStart[v] + childCount[v];
      }
      int[] fill = Arrays.copyOf(childStart, n);
      byte[] childByte = new byte[Math.max(0, n - 1)];
      int[] childNode = new int[Math.max(0, n - 1)];
      for (int v = 1; v < n; v++) {
        int p = parent.get(v);
        childByte[fill[p]] = (byte) label.get(v);
        childNode[fill[p]] = v;
        fill[p]++;
      }
      int[] tokenCount = new int[n + 1];
      for (int i = 0; i < ids.length; i++) {
        tokenCount[tokenNode.get(i)]++;
      }
      int[] tokenStart = new int[n + 1];
      for (int v = 0; v < n; v++) {
        tokenStart[v + 1] = tokenStart[v] + tokenCount[v];
      }
      int[] tfill = Arrays.copyOf(tokenStart, n);
      int[] tokenIds = new int[ids.length];
      for (int i = 0; i < ids.length; i++) {
        tokenIds[tfill[tokenNode.get(i)]++] = ids[i];
      }
      return new Trie(childStart, childByte, childNode, tokenStart, tokenIds);
    }
  }
}
