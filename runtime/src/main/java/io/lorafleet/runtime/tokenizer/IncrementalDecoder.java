package io.lorafleet.runtime.tokenizer;

import java.util.Arrays;

/**
 * Streaming detokenization of one generated sequence, like vLLM's {@code detokenize_incrementally}:
 * each {@link #add} decodes only a short window of trailing tokens (from {@code prefixOffset}; the part
 * up to {@code readOffset} was already emitted and is decoded again only as context, which keeps
 * decoders that strip a leading space correct) and returns the new text.
 *
 * <p>Text is held back while the window ends in U+FFFD, i.e. in the middle of a UTF-8 character whose
 * remaining bytes may still come, so no delta ever ends with half a character. If a sequence keeps
 * ending that way for several tokens (invalid bytes, as a random model produces), the decoder looks for
 * a token boundary where the text before it can no longer change (the window decodes to the same text
 * whether split there or not, and tokens with bytes follow) and emits up to it, so the window stays
 * short. {@link #flush()} ends the stream and returns the rest, with U+FFFD for bytes that never formed
 * a character. The concatenation of all deltas and the flush equals {@code decode(allIds, skip)}.
 *
 * <p>Not thread-safe: one instance per sequence.
 */
public final class IncrementalDecoder {
  private static final char REPLACEMENT = '\uFFFD';
  /** Pending tokens after which a stuck window is split (a UTF-8 character has at most 4 bytes). */
  private static final int SPLIT_AFTER_PENDING = 4;
  private static final int SPLIT_CANDIDATES = 4;

  private final HfTokenizer tokenizer;
  private final boolean skipSpecialTokens;
  private final StringBuilder emitted = new StringBuilder();
  private int[] ids = new int[64];
  private int size;
  private int prefixOffset;
  private int readOffset;
  private String prefixText = "";
  private boolean flushed;
  private long decodedTokens;

  IncrementalDecoder(HfTokenizer tokenizer, boolean skipSpecialTokens) {
    this.tokenizer = tokenizer;
    this.skipSpecialTokens = skipSpecialTokens;
  }

  /**
   * Adds one generated token.
   *
   * @return the text that became final with it, possibly {@code ""}
   * @throws IllegalStateException after {@link #flush()}
   */
  public String add(int tokenId) {
    if (flushed) {
      throw new IllegalStateException("the sequence was already flushed");
    }
    if (tokenId < 0) {
      throw new IllegalArgumentException("negative token id " + tokenId);
    }
    if (size == ids.length) {
      ids = Arrays.copyOf(ids, size * 2);
    }
    ids[size++] = tokenId;
    String prefix = prefixText();
    String window = decode(prefixOffset, size);
    boolean incomplete = endsWithReplacement(window);
    if (window.length() > prefix.length() && !incomplete) {
      return emit(window, prefix, size);
    }
    if (incomplete && size - readOffset >= SPLIT_AFTER_PENDING) {
      return emitBeforeIncompleteTail(window, prefix);
    }
    return "";
  }

  /**
   * Ends the sequence.
   *
   * @return the text not emitted yet, with U+FFFD for bytes that never completed a character
   */
  public String flush() {
    flushed = true;
    if (readOffset == size) {
      return "";
    }
    String prefix = prefixText();
    String window = decode(prefixOffset, size);
    return window.length() > prefix.length() ? emit(window, prefix, size) : "";
  }

  /** All text emitted so far followed by the text still held back (as {@link #flush()} would return it). */
  public String text() {
    if (readOffset == size) {
      return emitted.toString();
    }
    String prefix = prefixText();
    String window = decode(prefixOffset, size);
    return window.length() > prefix.length() ? emitted + window.substring(prefix.length()) : emitted.toString();
  }

  /** Number of tokens added. */
  public int tokenCount() {
    return size;
  }

  private String emitBeforeIncompleteTail(String window, String prefix) {
    int lowest = Math.max(readOffset + 1, size - SPLIT_CANDIDATES);
    for (int split = size - 1; split >= lowest; split--) {
      String head = decode(prefixOffset, split);
      if (head.length() <= prefix.length() || !head.startsWith(prefix)) {
        continue;
      }
      String tail = decode(split, size);
      if (!tail.isEmpty() && window.length() == head.length() + tail.length() && window.startsWith(head)
          && window.endsWith(tail)) {
        return emit(head, prefix, split);
      }
    }
    return "";
  }

  private String emit(String window, String prefix, int newReadOffset) {
    String delta = window.substring(Math.min(prefix.length(), window.length()));
    prefixOffset = readOffset;
    readOffset = newReadOffset;
    prefixText = null;
    emitted.append(delta);
    return delta;
  }

  private String prefixText() {
    if (prefixText == null) {
      prefixText = decode(prefixOffset, readOffset);
    }
    return prefixText;
  }

  /** Tokens passed to the tokenizer so far, over all window decodes (for tests of the window size). */
  long decodedTokens() {
    return decodedTokens;
  }

  private String decode(int from, int to) {
    decodedTokens += to - from;
    return tokenizer.decode(ids, from, to, skipSpecialTokens);
  }

  private static boolean endsWithReplacement(String s) {
    return !s.isEmpty() && s.charAt(s.length() - 1) == REPLACEMENT;
  }
}
