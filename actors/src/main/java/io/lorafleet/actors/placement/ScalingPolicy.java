package io.lorafleet.actors.placement;

import java.util.Collection;
import java.util.Comparator;

/**
 * Whether the fleet should grow or shrink. The fleet's pressure is its total work (queued + running) over
 * its total batch capacity. Above {@code outPressure} for {@code sustainMillis}: add one node; below
 * {@code inPressure} for {@code sustainMillis}: remove the least loaded node. Between the two thresholds
 * nothing happens (hysteresis), and after any action nothing happens for {@code coolDownMillis}, nor while
 * nodes asked for earlier have not joined yet.
 *
 * @param outPressure    fleet pressure that asks for one more node
 * @param inPressure     fleet pressure that allows one node fewer (must be below {@code outPressure})
 * @param sustainMillis  how long a threshold must be crossed before acting
 * @param coolDownMillis least time between two actions
 * @param minNodes       never fewer serving nodes
 * @param maxNodes       never more serving nodes
 */
public record ScalingPolicy(double outPressure, double inPressure, long sustainMillis, long coolDownMillis,
    int minNodes, int maxNodes) {
  public ScalingPolicy {
    if (!(inPressure >= 0 && inPressure < outPressure) || sustainMillis < 0 || coolDownMillis < 0 || minNodes < 1
        || maxNodes < minNodes) {
      throw new IllegalArgumentException("invalid scaling policy");
    }
  }

  /** What to do. */
  public enum Action { HOLD, SCALE_OUT, SCALE_IN }

  /**
   * Memory between decisions: since when the fleet has been above / below the thresholds ({@link #NONE}:
   * not), and when the last action happened ({@link #NONE}: never).
   */
  public record State(long highSinceMillis, long lowSinceMillis, long lastActionMillis) {
    public static final long NONE = Long.MIN_VALUE;
    public static final State INITIAL = new State(NONE, NONE, NONE);
  }

  /**
   * A decision.
   *
   * @param action      what to do
   * @param targetNodes serving nodes wanted after it
   * @param node        for {@link Action#SCALE_IN}: the node to remove; else null
   * @param reason      why, for logs and the admin API
   * @param state       the memory for the next decision
   */
  public record Decision(Action action, int targetNodes, String node, String reason, State state) {}

  /** Total queued + running over total batch capacity of the accepting nodes (0 with none). */
  public static double fleetPressure(Collection<NodeLoad> nodes) {
    long work = 0;
    long batch = 0;
    for (NodeLoad n : nodes) {
      if (n.accepting()) {
        work += n.queueDepth() + n.running();
        batch += n.capacity().maxBatch();
      }
    }
    return batch == 0 ? 0 : (double) work / batch;
  }

  /**
   * @param nodes   the serving nodes now (draining ones count as going away)
   * @param pending nodes asked for that have not joined yet
   */
  public Decision decide(Collection<NodeLoad> nodes, int pending, State state, long now) {
    int live = (int) nodes.stream().filter(NodeLoad::accepting).count();
    double p = fleetPressure(nodes);
    long none = State.NONE;
    long high = p > outPressure ? (state.highSinceMillis() == none ? now : state.highSinceMillis()) : none;
    long low = p < inPressure ? (state.lowSinceMillis() == none ? now : state.lowSinceMillis()) : none;
    State next = new State(high, low, state.lastActionMillis());
    boolean cooled = state.lastActionMillis() == none || now - state.lastActionMillis() >= coolDownMillis;
    String at = String.format(java.util.Locale.ROOT, "fleet pressure %.2f on %d nodes", p, live);
    if (live + pending < minNodes && cooled && pending == 0) {
      return new Decision(Action.SCALE_OUT, minNodes, null, at + ": below the minimum of " + minNodes,
          new State(none, none, now));
    }
    if (high != none && now - high >= sustainMillis && cooled && pending == 0 && live < maxNodes) {
      return new Decision(Action.SCALE_OUT, live + 1, null,
          at + " above " + outPressure + " for " + (now - high) + " ms", new State(none, none, now));
    }
    if (low != none && now - low >= sustainMillis && cooled && pending == 0 && live > minNodes) {
      String victim = nodes.stream().filter(NodeLoad::accepting)
          .min(Comparator.comparingDouble(NodeLoad::pressure).thenComparing(NodeLoad::node, Comparator.reverseOrder()))
          .map(NodeLoad::node).orElseThrow();
      return new Decision(Action.SCALE_IN, live - 1, victim,
          at + " below " + inPressure + " for " + (now - low) + " ms", new State(none, none, now));
    }
    return new Decision(Action.HOLD, live, null, at, next);
  }
}
