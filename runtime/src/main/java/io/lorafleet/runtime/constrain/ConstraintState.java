package io.lorafleet.runtime.constrain;

/**
 * Where one sequence's output is in its constraint's DFA; advanced after each sampled token. Owned by the
 * engine thread (the masks it reads may be computed by another thread; {@link TokenIndex} makes that safe).
 */
public final class ConstraintState {
  private final TokenIndex index;
  private int state;
  private boolean atStart = true;

  public ConstraintState(TokenIndex index) {
    this.index = index;
  }

  public TokenIndex index() {
    return index;
  }

  /** The tokens allowed next (end-of-sequence not included: see {@link #isAccepting()}). */
  public TokenMask mask() {
    return index.mask(state, atStart);
  }

  /**
   * A task computing the mask for the current state (captured now), to run on another thread while the
   * owner goes on; {@link #mask()} then finds it ready or waits for it.
   */
  public Runnable maskTask() {
    int s = state;
    boolean start = atStart;
    return () -> index.mask(s, start);
  }

  /** Whether the mask for the next token is already computed. */
  public boolean maskReady() {
    return index.isComputed(state, atStart);
  }

  /**
   * Moves past {@code token}.
   *
   * @throws IllegalStateException if the token was not allowed (a bug: tokens are sampled under the mask)
   */
  public void advance(int token) {
    int next = index.next(state, token, atStart);
    if (next == ByteDfa.DEAD) {
      throw new IllegalStateException("token " + token + " is not allowed in state " + state + " of "
          + index.dfa());
    }
    state = next;
    atStart = false;
  }

  /** Whether the output so far is a whole match (so the sequence may end here). */
  public boolean isAccepting() {
    return index.dfa().isAccepting(state);
  }

  /**
   * Whether the output is a whole match that nothing can extend: the sequence must end now. Computes the
   * next mask when the DFA could go on but perhaps no token can.
   */
  public boolean isComplete() {
    if (!isAccepting()) {
      return false;
    }
    return !index.dfa().hasTransitions(state) || mask().count() == 0;
  }

  /** The DFA state (for tests and logs). */
  public int state() {
    return state;
  }
}
