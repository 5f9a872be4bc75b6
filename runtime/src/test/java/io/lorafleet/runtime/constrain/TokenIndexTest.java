package io.lorafleet.runtime.constrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.tokenizer.HfTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The token masks over the fixture's byte-level BPE vocabulary: every mask equals the brute-force answer
 * (walk each token's bytes through the DFA), tokens that span JSON structure or split a character are
 * allowed where they fit, and special tokens and padding ids never are.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TokenIndexTest {
  private static final int LOGITS = 1024; // the fixture's vocab_size: ids 1006.. are embedding padding
  private HfTokenizer tok;
  private TokenVocabulary vocab;
  private final ConstraintCompiler compiler = new ConstraintCompiler(ConstraintLimits.DEFAULTS, 16 << 20);

  @BeforeAll
  void load() {
    tok = HfTokenizer.load(Fixtures.model());
    vocab = TokenVocabulary.of(tok.tokenBytes(), LOGITS);
  }

  @AfterAll
  void close() {
    tok.close();
  }

  private TokenIndex index(OutputConstraint c) {
    return new TokenIndex(compiler.compile(c), vocab);
  }

  private int id(String token) {
    return tok.tokenId(token).getAsInt();
  }

  /** The state after reading {@code text} from the start. */
  private static int after(TokenIndex idx, String text) {
    int s = idx.dfa().walk(0, text.getBytes(StandardCharsets.UTF_8));
    assertTrue(s != ByteDfa.DEAD, text);
    return s;
  }

  @Test
  void everyMaskEqualsTheBruteForceAnswer() {
    for (OutputConstraint c : List.of(OutputConstraint.jsonSchema(ConstrainedGenerationTest.RECORD),
        OutputConstraint.jsonObject(), OutputConstraint.regex("(\u00e9t\u00e9|\u65e5\u672c)+ [0-9]{1,3}"))) {
      TokenIndex idx = index(c);
      ByteDfa dfa = idx.dfa();
      for (int s = 0; s < dfa.numStates(); s++) {
        TokenMask m = idx.mask(s, false);
        int count = 0;
        for (int t = 0; t < LOGITS; t++) {
          byte[] b = vocab.bytes(t, false);
          boolean expected = b != null && dfa.walk(s, b) != ByteDfa.DEAD;
          assertEquals(expected, m.allows(t), c + " state " + s + " token " + t);
          count += expected ? 1 : 0;
        }
        assertEquals(count, m.count());
      }
    }
  }

  @Test
  void tokensThatSpanJsonStructureAreAllowedWhereTheyFit() {
    TokenIndex idx = index(OutputConstraint.jsonSchema(
        "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":\"string\"}},"
            + "\"required\":[\"a\",\"b\"],\"additionalProperties\":false}"));
    // Inside a's value, the token '",' closes the string and writes the comma at once.
    int inA = after(idx, "{\"a\":\"xy");
    assertTrue(idx.mask(inA, false).allows(id("\",")));
    // Inside b's value, '",' does not fit (b is the last property) but '"' does.
    int inB = after(idx, "{\"a\":\"x\",\"b\":\"y");
    assertFalse(idx.mask(inB, false).allows(id("\",")));
    assertTrue(idx.mask(inB, false).allows(id("\"")));
    // After the key, '":' closes it and writes the colon.
    int inKey = after(idx, "{\"a");
    assertTrue(idx.mask(inKey, false).allows(id("\":")));
    // '"' alone is allowed at the start, a letter is not.
    assertTrue(idx.mask(0, false).allows(id("{")));
    assertFalse(idx.mask(0, false).allows(id("a")));
  }

  @Test
  void tokensHoldingPartOfACharacterAreAllowedOnlyWhereThatCharacterFits() {
    // U+65E5 is E6 97 A5 in UTF-8: the fixture has the single-byte token for E6 ("\u00e6").
    TokenIndex idx = index(OutputConstraint.regex("\u65e5|a"));
    assertTrue(idx.mask(0, false).allows(id("\u00e6")));
    // E5 starts other characters, not this one.
    assertFalse(idx.mask(0, false).allows(id("\u00e5")));
    int mid = idx.next(0, id("\u00e6"), false);
    assertTrue(mid != ByteDfa.DEAD && !idx.dfa().isAccepting(mid));
    assertTrue(idx.mask(mid, false).count() >= 1);
  }

  @Test
  void specialTokensAndPaddingIdsAreNeverAllowed() {
    TokenIndex idx = index(OutputConstraint.regex("[\\x00-\\u{10FFFF}]{0,40}"));
    for (int s = 0; s < idx.dfa().numStates(); s++) {
      TokenMask m = idx.mask(s, false);
      for (int t = 1000; t < LOGITS; t++) {
        assertFalse(m.allows(t), "token " + t + " in state " + s);
      }
    }
    assertTrue(idx.mask(0, false).count() > 900, "almost every ordinary token fits at the start");
  }

  @Test
  void masksAreComputedOnceAndShared() {
    TokenIndex idx = index(OutputConstraint.regex("[a-z]{1,5}"));
    assertFalse(idx.isComputed(0, false));
    TokenMask m = idx.mask(0, false);
    assertTrue(idx.isComputed(0, false));
    assertTrue(m == idx.mask(0, false));
  }
}
