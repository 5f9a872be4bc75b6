package io.lorafleet.actors.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ReplicationPolicyTest {
  private final ReplicationPolicy policy = new ReplicationPolicy(10, 0.7, 1, 4, 5_000);

  @Test
  void aSurgeAddsReplicasAtOnce() {
    ReplicationPolicy.State s = ReplicationPolicy.State.initial(1);
    s = policy.decide(s, 8, 5, 1_000);
    assertEquals(1, s.replicas());
    s = policy.decide(s, 25, 5, 2_000);
    assertEquals(3, s.replicas());
    s = policy.decide(s, 1_000, 5, 3_000);
    assertEquals(4, s.replicas(), "capped by maxReplicas");
    assertEquals(2, policy.decide(ReplicationPolicy.State.initial(1), 1_000, 2, 0).replicas(), "capped by the nodes");
  }

  @Test
  void replicasAreDroppedOnlyAfterTheRateStaysLowForTheCoolDown() {
    ReplicationPolicy.State s = policy.decide(ReplicationPolicy.State.initial(1), 25, 5, 0);
    assertEquals(3, s.replicas());
    // 18 req/s: below 2 replicas' capacity (20) but not below 70% of it (14): hysteresis keeps 3.
    for (long t = 1_000; t < 20_000; t += 1_000) {
      s = policy.decide(s, 18, 5, t);
      assertEquals(3, s.replicas());
    }
    s = policy.decide(s, 5, 5, 20_000);
    assertEquals(3, s.replicas());
    s = policy.decide(s, 5, 5, 24_000);
    assertEquals(3, s.replicas());
    s = policy.decide(s, 5, 5, 25_000);
    assertEquals(2, s.replicas());
    s = policy.decide(s, 5, 5, 26_000);
    assertEquals(2, s.replicas(), "a cool-down after each drop");
    s = policy.decide(s, 5, 5, 30_000);
    assertEquals(2, s.replicas(), "low again only since 26 s");
    s = policy.decide(s, 5, 5, 31_000);
    assertEquals(1, s.replicas());
    s = policy.decide(s, 0, 5, 60_000);
    assertEquals(1, s.replicas(), "never below the minimum");
  }

  @Test
  void aShortDipDoesNotDrop() {
    ReplicationPolicy.State s = policy.decide(ReplicationPolicy.State.initial(1), 25, 5, 0);
    s = policy.decide(s, 2, 5, 6_000);
    s = policy.decide(s, 25, 5, 9_000);
    s = policy.decide(s, 2, 5, 10_000);
    s = policy.decide(s, 2, 5, 14_000);
    assertEquals(3, s.replicas(), "the low period restarted at 10 s");
    assertEquals(2, policy.decide(s, 2, 5, 15_000).replicas());
  }

  @Test
  void fewerNodesThanReplicasFollowsAtOnce() {
    ReplicationPolicy.State s = policy.decide(ReplicationPolicy.State.initial(1), 40, 5, 0);
    assertEquals(4, s.replicas());
    assertEquals(2, policy.decide(s, 40, 2, 1).replicas());
  }
}
