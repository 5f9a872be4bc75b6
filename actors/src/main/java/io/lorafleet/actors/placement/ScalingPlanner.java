package io.lorafleet.actors.placement;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The one planner of the fleet's size: around {@link ScalingPolicy} (whether to grow or shrink), the
 * bookkeeping of a fleet that changes slowly: a node asked for counts as pending until it joins (or until
 * {@code pendingTimeout} has passed), a node chosen for removal drains until the provisioner has removed it and
 * is not chosen again, and only nodes the provisioner can remove are chosen. The cluster supervisor executes
 * its actions (asks its provisioner, drains the node); pure otherwise, like every planner of this package: the
 * memory comes in and goes out as a {@link State}.
 *
 * @param policy         when to grow or shrink
 * @param pendingTimeout how long a requested node may take to join before it no longer counts as pending
 */
public record ScalingPlanner(ScalingPolicy policy, Duration pendingTimeout) {

  /**
   * The memory between rounds.
   *
   * @param policy       the policy's own memory
   * @param pending      nodes asked for that have not joined yet (0 or 1)
   * @param pendingSince when the pending node was asked for
   * @param pendingBase  accepting nodes when it was asked for
   * @param desired      serving nodes aimed for (0: whatever there is)
   * @param draining     nodes being removed (drained, then stopped by the provisioner)
   */
  public record State(ScalingPolicy.State policy, int pending, long pendingSince, int pendingBase, int desired,
      Set<String> draining) {
    public static final State INITIAL = new State(ScalingPolicy.State.INITIAL, 0, 0, 0, 0, Set.of());

    public State {
      draining = Set.copyOf(draining);
    }

    private State withPending(int p) {
      return new State(policy, p, pendingSince, pendingBase, desired, draining);
    }

    private State withDraining(Set<String> d) {
      return new State(policy, pending, pendingSince, pendingBase, desired, d);
    }
  }

  /** What the executor does. */
  public sealed interface Action {}

  /** Ask the provisioner for one more node; the fleet aims for {@code targetNodes}. */
  public record AddNode(int targetNodes, String reason) implements Action {}

  /** Drain {@code node}, then have the provisioner remove it; the fleet aims for {@code targetNodes}. */
  public record RemoveNode(String node, int targetNodes, String reason) implements Action {}

  /** The node asked for earlier did not join in time: it no longer counts as pending. */
  public record AddTimedOut(String reason) implements Action {}

  /** The actions of one round, in order, and the memory for the next. */
  public record Plan(List<Action> actions, State state) {
    public Plan {
      actions = List.copyOf(actions);
    }
  }

  /**
   * One scaling round.
   *
   * @param loads     the serving nodes as announced (nothing is decided without any)
   * @param removable which nodes the provisioner can remove
   */
  public Plan plan(List<NodeLoad> loads, Predicate<String> removable, State state, long nowMillis) {
    if (loads.isEmpty()) {
      return new Plan(List.of(), state);
    }
    List<Action> actions = new ArrayList<>();
    int live = (int) loads.stream().filter(NodeLoad::accepting).count();
    State s = state;
    if (s.pending() > 0 && (live > s.pendingBase() || nowMillis - s.pendingSince() > pendingTimeout.toMillis())) {
      if (live <= s.pendingBase()) {
        actions.add(new AddTimedOut("the requested node did not join within " + pendingTimeout));
      }
      s = s.withPending(0);
    }
    ScalingPolicy.Decision d = policy.decide(loads, s.pending(), s.policy(), nowMillis);
    s = new State(d.state(), s.pending(), s.pendingSince(), s.pendingBase(), s.desired(), s.draining());
    switch (d.action()) {
      case HOLD -> { }
      case SCALE_OUT -> {
        s = new State(s.policy(), 1, nowMillis, live, d.targetNodes(), s.draining());
        actions.add(new AddNode(d.targetNodes(), "to " + d.targetNodes() + " nodes: " + d.reason()));
      }
      case SCALE_IN -> {
        Set<String> draining = s.draining();
        String victim = loads.stream().filter(l -> l.accepting() && removable.test(l.node())
                && !draining.contains(l.node()))
            .min(Comparator.comparingDouble(NodeLoad::pressure)
                .thenComparing(NodeLoad::node, Comparator.reverseOrder()))
            .map(NodeLoad::node).orElse(null);
        if (victim != null) {
          Set<String> more = new HashSet<>(draining);
          more.add(victim);
          s = new State(s.policy(), s.pending(), s.pendingSince(), s.pendingBase(), d.targetNodes(), more);
          actions.add(new RemoveNode(victim, d.targetNodes(), "to " + d.targetNodes() + " nodes: " + d.reason()));
        }
      }
    }
    return new Plan(actions, s);
  }

  /** The provisioner answered an {@link AddNode}: a failure means nothing is pending any more. */
  public State added(State state, boolean failed) {
    return failed ? state.withPending(0) : state;
  }

  /** The provisioner answered a {@link RemoveNode}: once removed, the node is no longer draining. */
  public State removed(State state, String node, boolean failed) {
    if (failed) {
      return state;
    }
    Set<String> d = new HashSet<>(state.draining());
    d.remove(node);
    return state.withDraining(d);
  }
}
