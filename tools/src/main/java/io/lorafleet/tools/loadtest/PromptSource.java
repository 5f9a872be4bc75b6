package io.lorafleet.tools.loadtest;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Prompts of a given number of common English words in random order (about one token per word for
 * Llama-style tokenizers; the server reports the real count, which the report shows).
 */
final class PromptSource {
  private static final List<String> WORDS = List.of("the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog",
      "a", "small", "house", "by", "river", "and", "old", "man", "walks", "to", "town", "every", "day", "with", "his",
      "cat", "red", "tree", "green", "field", "under", "blue", "sky", "she", "reads", "book", "in", "the", "long",
      "night", "while", "rain", "falls", "on", "roof", "we", "make", "bread", "for", "all", "our", "friends");

  private final int words;

  PromptSource(int words) {
    this.words = words;
  }

  String next(RandomGenerator random) {
    StringBuilder sb = new StringBuilder(words * 6);
    for (int i = 0; i < words; i++) {
      if (i > 0) {
        sb.append(' ');
      }
      sb.append(WORDS.get(random.nextInt(WORDS.size())));
    }
    return sb.toString();
  }
}
