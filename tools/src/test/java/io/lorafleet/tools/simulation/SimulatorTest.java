package io.lorafleet.tools.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The simulator end to end on a small fleet (20 nodes x 2000 adapters, about a minute of traffic). */
class SimulatorTest {
  private static SimulationReport skewed;

  /** 20 nodes x 2000 adapters at about 55% of the fleet's capacity for 60 s (10 s warm-up). */
  static SimulationConfig small(double zipf, long seed) {
    SimulationConfig d = SimulationConfig.defaults();
    TraceSpec w = d.workload().withAdapters(2000).withZipf(zipf).withRate(280).withDuration(60, 10);
    return new SimulationConfig(20, seed, 10, w, d.node(), d.lorafleet());
  }

  @BeforeAll
  static void run() {
    skewed = Simulator.run(small(1.1, 7));
  }

  private static String figures(SimulationReport r) throws Exception {
    // everything but the timings
    ObjectMapper json = new ObjectMapper();
    return json.writeValueAsString(List.of(r.config(), r.trace(), r.policies()));
  }

  @Test
  void theSameSeedGivesTheSameReportAndAnotherSeedAnotherOne() throws Exception {
    assertEquals(figures(skewed), figures(Simulator.run(small(1.1, 7))));
    assertNotEquals(figures(skewed), figures(Simulator.run(small(1.1, 8))));
  }

  @Test
  void everyRequestIsServedOrCountedAsDropped() {
    assertEquals(List.of("LoraFleet", "consistent hashing"), skewed.policies().stream().map(PolicyReport::policy)
        .toList());
    for (PolicyReport p : skewed.policies()) {
      PolicyReport.Accounting a = p.accounting();
      assertEquals(skewed.trace().requests(), a.arrived(), p.policy());
      assertEquals(0, a.unfinished(), p.policy() + ": the fleet drains");
      assertEquals(a.arrived(), a.served() + a.rejected() + a.timedOut(), p.policy());
      assertEquals(p.requests(), p.served() + p.rejected() + p.timedOut(), p.policy() + ": measured requests");
      assertEquals(p.requests(), java.util.Arrays.stream(p.routedPerNode()).sum(), p.policy() + ": all routed");
      assertTrue(p.requests() > 10_000 && p.requests() < a.arrived(), p.policy() + ": warm-up excluded");
    }
  }

  @Test
  void consistentHashingCannotSpreadAHotAdapterWhileLoraFleetDoes() {
    PolicyReport lf = skewed.policy("LoraFleet");
    PolicyReport ch = skewed.policy("consistent hashing");
    // Zipf(1.1) over 2000 adapters: the top adapter alone is ~16% of the traffic, three nodes' worth.
    assertTrue(ch.maxMeanLoad() > 2.5, "the hot adapter's home gets several times the mean: " + ch.maxMeanLoad());
    assertTrue(ch.maxMeanLoad() > 2 * lf.maxMeanLoad(), ch.maxMeanLoad() + " vs " + lf.maxMeanLoad());
    assertTrue(lf.maxMeanLoad() < 1.5, "LoraFleet replicates and balances: " + lf.maxMeanLoad());
    assertTrue(ch.dropped() > ch.requests() / 30, "the hot home's queue overflows: " + ch.dropped());
    assertEquals(0, lf.dropped(), "LoraFleet drops nothing at 55% load");
    assertTrue(lf.queueDelayP99Ms() < 1000, "p99 queueing " + lf.queueDelayP99Ms());
    assertTrue(ch.queueDelayP99Ms() > 10 * lf.queueDelayP99Ms(), ch.queueDelayP99Ms() + " ms");
    assertTrue(ch.throughputPerSecond() < lf.throughputPerSecond());
    // Affinity: both keep most requests on nodes that have the adapter (one home per adapter, replicas only
    // for the hot ones), so the hit rates are high for both.
    assertTrue(ch.hitRate() > 0.85 && lf.hitRate() > 0.85, ch.hitRate() + " / " + lf.hitRate());
    assertTrue(((Number) lf.extras().get("replicatedAdaptersPeak")).intValue() > 0, "hot adapters were replicated");
  }

  @Test
  void withoutSkewConsistentHashingIsBalancedEnough() {
    SimulationReport uniform = Simulator.run(small(0.01, 7));
    PolicyReport ch = uniform.policy("consistent hashing");
    assertTrue(ch.maxMeanLoad() < 1.6, "160 ring points per node, uniform popularity: " + ch.maxMeanLoad());
    assertEquals(0, ch.dropped());
    assertTrue(uniform.policy("LoraFleet").maxMeanLoad() < 1.6);
  }
}
