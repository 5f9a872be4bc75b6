package io.lorafleet.actors.placement;

/**
 * How many nodes serve an adapter, from its request rate: enough replicas that each gets at most
 * {@code ratePerReplica} requests per second. Adding replicas is immediate (a surge must spread at once);
 * dropping one needs the rate to stay below {@code dropFraction} of what one replica fewer could take for
 * {@code coolDownMillis} (hysteresis), and at least that long since the last change.
 *
 * @param ratePerReplica requests per second one node gives one adapter
 * @param dropFraction   0..1: how far under the smaller count's capacity the rate must fall to drop one
 * @param minReplicas    replicas of any adapter in use
 * @param maxReplicas    most replicas of one adapter (also bounded by the live nodes)
 * @param coolDownMillis how long the rate must stay low, and the least time between two drops
 */
public record ReplicationPolicy(double ratePerReplica, double dropFraction, int minReplicas, int maxReplicas,
    long coolDownMillis) {
  public ReplicationPolicy {
    if (!(ratePerReplica > 0) || !(dropFraction > 0 && dropFraction <= 1) || minReplicas < 1
        || maxReplicas < minReplicas || coolDownMillis < 0) {
      throw new IllegalArgumentException("invalid replication policy");
    }
  }

  /**
   * An adapter's replica count, when it last changed ({@link #NONE}: never) and since when its rate has
   * been low ({@link #NONE}: it is not).
   */
  public record State(int replicas, long changedAtMillis, long lowSinceMillis) {
    public static final long NONE = Long.MIN_VALUE;

    public static State initial(int replicas) {
      return new State(replicas, NONE, NONE);
    }
  }

  /** The replicas the rate asks for, before hysteresis. */
  public int wanted(double rate, int liveNodes) {
    int want = (int) Math.ceil(rate / ratePerReplica - 1e-9);
    return Math.max(minReplicas, Math.min(Math.min(maxReplicas, Math.max(1, liveNodes)), want));
  }

  /**
   * The next state for an adapter seen at {@code rate} requests per second at {@code now}.
   *
   * @param liveNodes nodes that could host a replica
   */
  public State decide(State state, double rate, int liveNodes, long now) {
    int cap = Math.max(minReplicas, Math.min(maxReplicas, Math.max(1, liveNodes)));
    int current = Math.min(state.replicas(), cap);
    int want = wanted(rate, liveNodes);
    long none = State.NONE;
    if (want > current) {
      return new State(want, now, none);
    }
    if (current < state.replicas()) {
      // Fewer nodes than replicas: follow the fleet down at once.
      return new State(current, now, none);
    }
    boolean low = current > minReplicas && rate < (current - 1) * ratePerReplica * dropFraction;
    if (!low) {
      return state.lowSinceMillis() == none ? state : new State(current, state.changedAtMillis(), none);
    }
    long lowSince = state.lowSinceMillis() == none ? now : state.lowSinceMillis();
    boolean cooled = state.changedAtMillis() == none || now - state.changedAtMillis() >= coolDownMillis;
    if (now - lowSince >= coolDownMillis && cooled) {
      return new State(current - 1, now, none);
    }
    return new State(current, state.changedAtMillis(), lowSince);
  }
}
