package io.lorafleet.runtime.constrain;

import java.time.Duration;

/**
 * Bounds on what a request's constraint may cost; a constraint over any of them is refused with a
 * {@link ConstraintException} (HTTP 422).
 *
 * @param maxSourceChars  longest JSON Schema (as compact JSON) or regex accepted
 * @param maxDfaStates    most states of any automaton built on the way, the final DFA included
 * @param maxNfaStates    most states of an intermediate non-deterministic automaton (a repetition or
 *                        concatenation before it is determinized)
 * @param compileTimeout  most CPU time a compilation may take (and five times that in wall-clock time)
 * @param maxSchemaDepth  deepest nesting of a JSON Schema ({@code properties}, {@code items}, {@code anyOf},
 *                        {@code $ref} hops)
 * @param freeDepth       how deep values may nest where the schema allows any JSON ({@code json_object}
 *                        mode, {@code {}}, an object without {@code properties})
 * @param maxWhitespace   most whitespace characters between two JSON tokens (bounded, so a model cannot
 *                        emit whitespace forever)
 */
public record ConstraintLimits(int maxSourceChars, int maxDfaStates, int maxNfaStates, Duration compileTimeout,
    int maxSchemaDepth, int freeDepth, int maxWhitespace) {
  public static final ConstraintLimits DEFAULTS =
      new ConstraintLimits(32 * 1024, 20_000, 200_000, Duration.ofSeconds(2), 32, 3, 8);
}
