package io.lorafleet.runtime.constrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The regex dialect against {@link java.util.regex.Pattern} (full match) on many strings, the refusals of what
 * a DFA cannot do, and the bounds on compilation.
 */
class RegexCompilationTest {
  private final ConstraintCompiler compiler = new ConstraintCompiler(ConstraintLimits.DEFAULTS, 16 << 20);

  private ByteDfa dfa(String regex) {
    return compiler.compile(OutputConstraint.regex(regex));
  }

  private static boolean matches(ByteDfa d, String s) {
    return d.matches(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void acceptsExactlyWhatJavaRegexFullyMatches() {
    List<String> regexes = List.of(
        "abc", "a|bc|", "(ab)*c?", "[a-c]{2,3}x", "[^a-c]+", "\\d{2}-\\w\\s?", "colou?r", "(?:ab|a)(?:bc|c)",
        "a{3}", "a{2,}b", ".{1,3}", "[\\-a]+", "\\.\\*\\+\\?", "x(?<name>y|z)+", "\\u00e9[\u00e0-\u00ff]\u65e5",
        "[\\x41-\\x43]\\t", "(a|b)*a(a|b){3}", "\\W\\D\\S", "a*?b+?", "\\{[0-9]{1,2}\\}", "[\\s\\d]+", "\\u{1F600}.");
    SplittableRandom rnd = new SplittableRandom(7);
    String alphabet = "abcxyz0129-. \t\n{}*+?\u00e9\u00e0\u65e5\uD83D\uDE00_";
    for (String regex : regexes) {
      ByteDfa d = dfa(regex);
      Pattern p = Pattern.compile(regex.replace("\\u{1F600}", "\\x{1F600}"));
      List<String> probes = new ArrayList<>(List.of("", "abc", "bc", "aaa", "aab", "colour", "color", "abbc", "12-a",
          "12-a ", "xyyz", "\u00e9\u00e0\u65e5", "ABC\t", "abab", "\\.*+?", "{7}", "{12}", "\uD83D\uDE00x"));
      for (int i = 0; i < 3000; i++) {
        StringBuilder sb = new StringBuilder();
        int len = rnd.nextInt(7);
        for (int k = 0; k < len; k++) {
          int at = rnd.nextInt(alphabet.length());
          if (Character.isHighSurrogate(alphabet.charAt(at))) {
            sb.append(alphabet, at, at + 2);
          } else if (!Character.isLowSurrogate(alphabet.charAt(at))) {
            sb.append(alphabet.charAt(at));
          }
        }
        probes.add(sb.toString());
      }
      for (String s : probes) {
        assertEquals(p.matcher(s).matches(), matches(d, s), () -> "regex " + regex + " on \"" + s + "\"");
      }
    }
  }

  @Test
  void anchorsAtTheEndsAreAcceptedAndNowhereElse() {
    assertTrue(matches(dfa("^ab$"), "ab"));
    assertTrue(matches(dfa("^a|b$"), "b"));
    assertRefused("a^b", "'^'");
    assertRefused("a$b", "'$'");
  }

  @Test
  void constructsAFiniteAutomatonCannotHonourAreRefusedByName() {
    assertRefused("(a)\\1", "backreference");
    assertRefused("a(?=b)", "lookaround");
    assertRefused("a(?<!b)", "lookaround");
    assertRefused("\\bword\\b", "word boundary");
    assertRefused("(?i)abc", "inline flag");
    assertRefused("\\p{L}+", "Unicode property");
    assertRefused("a*+", "possessive");
    assertRefused("a**", "multiple repeat");
    assertRefused("*a", "nothing to repeat");
    assertRefused("(ab", "unclosed");
    assertRefused("[ab", "unclosed");
    assertRefused("a{5,2}", "max below min");
    assertRefused("a{20000}", "above 10000");
    assertRefused("\\q", "unknown escape");
  }

  private void assertRefused(String regex, String fragment) {
    ConstraintException e = assertThrows(ConstraintException.class, () -> dfa(regex));
    assertTrue(e.getMessage().contains(fragment), () -> regex + ": " + e.getMessage());
  }

  @Test
  void compilationIsBoundedInStatesSizeAndTime() {
    // Exponential determinization: stopped at the state cap, quickly.
    long t0 = System.nanoTime();
    assertRefused("(a|b)*a(a|b){30}", "more than 20000 states");
    assertTrue(System.nanoTime() - t0 < 20_000_000_000L);
    // Nested counted repetition: refused before the copies are made.
    assertRefused("((a{1000}){1000}){1000}", "before determinization");
    // Too long a source.
    ConstraintException e = assertThrows(ConstraintException.class,
        () -> compiler.compile(OutputConstraint.regex("a".repeat(ConstraintLimits.DEFAULTS.maxSourceChars() + 1))));
    assertTrue(e.getMessage().contains("at most"), e.getMessage());
    // A CPU-time budget: a tiny one stops a compilation that needs more.
    ConstraintCompiler hurried = new ConstraintCompiler(new ConstraintLimits(32 * 1024, 20_000, 200_000,
        Duration.ofNanos(1), 32, 3, 8), 1 << 20);
    e = assertThrows(ConstraintException.class,
        () -> hurried.compile(OutputConstraint.regex("(ab|cd|ef){1,300}x[0-9]{1,200}")));
    assertTrue(e.getMessage().contains("CPU time"), e.getMessage());
  }

  @Test
  void emptyLanguagesAndTheEmptyStringAloneAreRefused() {
    assertRefused("[^\\x00-\\u{10FFFF}]", "no output");
    assertRefused("(?:)", "only the empty string");
  }

  @Test
  void compiledConstraintsAndRefusalsAreCached() {
    ByteDfa a = dfa("cache[0-9]+");
    assertTrue(a == dfa("cache[0-9]+"), "the same compiled DFA");
    int before = compiler.cachedCount();
    assertThrows(ConstraintException.class, () -> dfa("(?=x)"));
    assertThrows(ConstraintException.class, () -> dfa("(?=x)"));
    assertEquals(before + 1, compiler.cachedCount());
  }

  @Test
  void choicesAreLiteralAlternatives() {
    ByteDfa d = compiler.compile(OutputConstraint.choice(List.of("a.b", "(x)", "*")));
    assertTrue(matches(d, "a.b") && matches(d, "(x)") && matches(d, "*"));
    assertTrue(!matches(d, "axb") && !matches(d, "x"));
  }
}
