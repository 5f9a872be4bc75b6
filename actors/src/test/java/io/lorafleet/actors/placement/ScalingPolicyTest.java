package io.lorafleet.actors.placement;

import static io.lorafleet.actors.placement.PlacementFixtures.node;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ScalingPolicyTest {
  private final ScalingPolicy policy = new ScalingPolicy(1.0, 0.2, 2_000, 10_000, 1, 4);

  @Test
  void sustainedPressureScalesOutOnceThenCoolsDown() {
    List<NodeLoad> busy = List.of(node("a", 20, 16), node("b", 10, 16));
    ScalingPolicy.State s = ScalingPolicy.State.INITIAL;
    ScalingPolicy.Decision d = policy.decide(busy, 0, s, 1_000);
    assertEquals(ScalingPolicy.Action.HOLD, d.action(), "not sustained yet");
    d = policy.decide(busy, 0, d.state(), 2_500);
    assertEquals(ScalingPolicy.Action.HOLD, d.action());
    d = policy.decide(busy, 0, d.state(), 3_000);
    assertEquals(ScalingPolicy.Action.SCALE_OUT, d.action());
    assertEquals(3, d.targetNodes());
    ScalingPolicy.State after = d.state();
    assertEquals(ScalingPolicy.Action.HOLD, policy.decide(busy, 1, after, 20_000).action(), "a node is pending");
    d = policy.decide(busy, 0, after, 5_000);
    d = policy.decide(busy, 0, d.state(), 8_000);
    assertEquals(ScalingPolicy.Action.HOLD, d.action(), "cool-down");
    d = policy.decide(busy, 0, d.state(), 13_000);
    assertEquals(ScalingPolicy.Action.SCALE_OUT, d.action());
  }

  @Test
  void betweenTheThresholdsNothingHappens() {
    List<NodeLoad> mid = List.of(node("a", 0, 8), node("b", 0, 8));
    ScalingPolicy.State s = ScalingPolicy.State.INITIAL;
    for (long t = 0; t < 60_000; t += 1_000) {
      ScalingPolicy.Decision d = policy.decide(mid, 0, s, t);
      assertEquals(ScalingPolicy.Action.HOLD, d.action());
      s = d.state();
    }
  }

  @Test
  void sustainedIdlenessRemovesTheLeastLoadedNodeDownToTheMinimum() {
    List<NodeLoad> idle = List.of(node("a", 0, 2), node("b", 0, 0), node("c", 0, 1));
    ScalingPolicy.Decision d = policy.decide(idle, 0, ScalingPolicy.State.INITIAL, 0);
    d = policy.decide(idle, 0, d.state(), 2_000);
    assertEquals(ScalingPolicy.Action.SCALE_IN, d.action());
    assertEquals("b", d.node());
    assertEquals(2, d.targetNodes());
    List<NodeLoad> one = List.of(node("a", 0, 0));
    ScalingPolicy.State s = ScalingPolicy.State.INITIAL;
    for (long t = 0; t < 60_000; t += 1_000) {
      ScalingPolicy.Decision x = policy.decide(one, 0, s, t);
      assertEquals(ScalingPolicy.Action.HOLD, x.action());
      s = x.state();
    }
  }

  @Test
  void aDrainingNodeDoesNotCountAsCapacity() {
    assertEquals(0.5, ScalingPolicy.fleetPressure(List.of(node("a", 0, 8), node("b", 30, 16).withAccepting(false))));
  }
}
