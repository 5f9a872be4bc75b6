package io.lorafleet.actors.placement;

import static io.lorafleet.actors.placement.PlacementFixtures.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The scaling planner as a pure function: pending nodes, draining nodes, removable nodes. */
class ScalingPlannerTest {
  /** Out above pressure 1 and in below 0.2, each sustained 2 s; 10 s cool-down; 1..4 nodes; 30 s to join. */
  private final ScalingPlanner planner = new ScalingPlanner(new ScalingPolicy(1.0, 0.2, 2_000, 10_000, 1, 4),
      Duration.ofSeconds(30));

  @Test
  void aBusyFleetAsksForOneNodeAndWaitsForItToJoin() {
    List<NodeLoad> busy = List.of(node("a", 20, 16), node("b", 10, 16));
    ScalingPlanner.Plan p = planner.plan(busy, n -> true, ScalingPlanner.State.INITIAL, 1_000);
    assertTrue(p.actions().isEmpty(), "not sustained yet");
    p = planner.plan(busy, n -> true, p.state(), 3_000);
    ScalingPlanner.AddNode add = assertInstanceOf(ScalingPlanner.AddNode.class, p.actions().getFirst());
    assertEquals(3, add.targetNodes());
    assertEquals(1, p.state().pending());
    assertEquals(3, p.state().desired());
    // Still busy long after the cool-down, but the node asked for has not joined: nothing more.
    ScalingPlanner.Plan waiting = planner.plan(busy, n -> true, p.state(), 20_000);
    assertTrue(waiting.actions().isEmpty());
    // It joins: no longer pending.
    List<NodeLoad> three = List.of(node("a", 20, 16), node("b", 10, 16), node("c", 0, 0));
    ScalingPlanner.Plan joined = planner.plan(three, n -> true, p.state(), 21_000);
    assertEquals(0, joined.state().pending());
  }

  @Test
  void aNodeThatNeverJoinsTimesOut() {
    List<NodeLoad> busy = List.of(node("a", 20, 16));
    ScalingPlanner.State asked = new ScalingPlanner.State(ScalingPolicy.State.INITIAL, 1, 0, 1, 2, Set.of());
    assertTrue(planner.plan(busy, n -> true, asked, 29_000).actions().isEmpty());
    ScalingPlanner.Plan p = planner.plan(busy, n -> true, asked, 31_000);
    assertInstanceOf(ScalingPlanner.AddTimedOut.class, p.actions().getFirst());
    assertEquals(0, p.state().pending());
    assertEquals(0, planner.added(asked, true).pending(), "a failed add is not pending either");
    assertEquals(1, planner.added(asked, false).pending());
  }

  @Test
  void anIdleFleetRemovesTheLeastLoadedRemovableNodeOnce() {
    List<NodeLoad> idle = List.of(node("a", 0, 1), node("b", 0, 0), node("c", 0, 0));
    ScalingPlanner.State s = planner.plan(idle, n -> !n.equals("c"), ScalingPlanner.State.INITIAL, 0).state();
    ScalingPlanner.Plan p = planner.plan(idle, n -> !n.equals("c"), s, 2_000);
    ScalingPlanner.RemoveNode rm = assertInstanceOf(ScalingPlanner.RemoveNode.class, p.actions().getFirst());
    assertEquals("b", rm.node(), "c is idle too but its provisioner cannot remove it");
    assertEquals(2, rm.targetNodes());
    assertEquals(Set.of("b"), p.state().draining());
    // After the cool-down, b (still announced while it drains) is not chosen again.
    ScalingPlanner.Plan later = planner.plan(idle, n -> !n.equals("c"), p.state(), 12_000);
    later = planner.plan(idle, n -> !n.equals("c"), later.state(), 14_000);
    ScalingPlanner.RemoveNode next = assertInstanceOf(ScalingPlanner.RemoveNode.class, later.actions().getFirst());
    assertEquals("a", next.node());
    assertEquals(Set.of("a"), planner.removed(later.state(), "b", false).draining());
    assertEquals(Set.of("a", "b"), planner.removed(later.state(), "b", true).draining(),
        "a failed removal keeps the node out of the choice");
  }

  @Test
  void noAnnouncementsNoDecision() {
    ScalingPlanner.Plan p = planner.plan(List.of(), n -> true, ScalingPlanner.State.INITIAL, 0);
    assertTrue(p.actions().isEmpty());
    assertEquals(ScalingPlanner.State.INITIAL, p.state());
  }
}
