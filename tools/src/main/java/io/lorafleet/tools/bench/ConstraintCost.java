package io.lorafleet.tools.bench;

import io.lorafleet.runtime.constrain.ByteDfa;
import io.lorafleet.runtime.constrain.ConstraintCompiler;
import io.lorafleet.runtime.constrain.OutputConstraint;
import io.lorafleet.runtime.constrain.TokenIndex;
import io.lorafleet.runtime.constrain.TokenMask;
import io.lorafleet.runtime.engine.Engine;

/**
 * The one-time costs of a constraint on an engine, measured cold: compiling it to a DFA, and the first token
 * mask (vocabulary trie built, walked from the start state). Later requests find both cached.
 *
 * @param compileMillis   compilation (schema or regex to minimal DFA)
 * @param dfaStates       states of the DFA
 * @param firstMaskMillis the engine's vocabulary for constraints plus the start state's mask
 * @param vocabSize       width of the masks
 * @param allowedAtStart  tokens the start state allows
 */
public record ConstraintCost(double compileMillis, int dfaStates, double firstMaskMillis, int vocabSize,
    int allowedAtStart) {

  static ConstraintCost measure(Engine engine, OutputConstraint constraint) {
    long t0 = System.nanoTime();
    ByteDfa dfa = ConstraintCompiler.shared().compile(constraint);
    long t1 = System.nanoTime();
    TokenIndex index = engine.constraintIndices().index(constraint, dfa);
    TokenMask mask = index.mask(0, true);
    long t2 = System.nanoTime();
    return new ConstraintCost((t1 - t0) / 1e6, dfa.numStates(), (t2 - t1) / 1e6, index.vocabulary().size(),
        mask.count());
  }
}
