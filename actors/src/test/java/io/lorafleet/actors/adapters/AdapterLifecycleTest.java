package io.lorafleet.actors.adapters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.actors.metrics.ServerMetrics;
import io.lorafleet.runtime.backend.BackendConfig;
import io.lorafleet.runtime.engine.EngineConfig;
import io.lorafleet.runtime.engine.LoadedModel;
import io.lorafleet.runtime.errors.ModelFormatException;
import io.lorafleet.runtime.errors.NotFoundException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The adapter lifecycle on a one-member cluster with the real engine and fixture adapters: sharded
 * entities and the node's store.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdapterLifecycleTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ConfigFactory.load()).build();

  private LoadedModel loaded;
  private Path tmp;
  private SourcePolicy sources;

  @BeforeAll
  void start() throws IOException {
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    // Sharding with Pekko's default allocation: the real strategy needs the fleet's view.
    ClusterSharding.get(testKit.system()).init(Entity.of(AdapterEntity.TYPE_KEY,
        ctx -> AdapterEntity.create(ctx.getEntityId())));
    loaded = LoadedModel.open(Fixtures.model(), "cpu", new BackendConfig(2, 0),
        EngineConfig.DEFAULTS.withMaxResidentAdapters(4).withKvCacheBytes(16L << 20));
    loaded.engine().start();
    tmp = Files.createTempDirectory("lifecycle");
    sources = new SourcePolicy(List.of(Fixtures.adapters(), tmp), List.of());
  }

  @AfterAll
  void stop() {
    loaded.close();
  }

  private ActorRef<AdapterStore.Command> store(String node, long cpuBytes) {
    CachePolicy policy = new CachePolicy(4, cpuBytes, 1 << 30, Duration.ofSeconds(10));
    AdapterFetcher fetcher = new AdapterFetcher(sources, tmp.resolve("cache-" + node), 1 << 26, Duration.ofSeconds(5));
    return testKit.spawn(AdapterStore.create(new AdapterStore.Config(node, loaded.engine(), loaded.model().config(),
        0, policy, sources, fetcher, 100, new ServerMetrics())));
  }

  private void register(String id, Path dir) {
    TestProbe<AdapterEntity.RegisterResult> p = testKit.createTestProbe();
    entity(id).tell(new AdapterEntity.Register(sources.check(dir.toString(), null).spec(), p.ref()));
    AdapterEntity.RegisterResult r = p.receiveMessage(WAIT);
    assertEquals(null, r.conflict());
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<AdapterEntity.Command> entity(String id) {
    return ClusterSharding.get(testKit.system()).entityRefFor(AdapterEntity.TYPE_KEY, id);
  }

  private AdapterStore.AcquireResult acquire(ActorRef<AdapterStore.Command> store, String id) {
    TestProbe<AdapterStore.AcquireResult> p = testKit.createTestProbe();
    store.tell(new AdapterStore.Acquire(id, null, p.ref()));
    return p.receiveMessage(WAIT);
  }

  private AdapterStore.Snapshot snapshot(ActorRef<AdapterStore.Command> store) {
    TestProbe<AdapterStore.Snapshot> p = testKit.createTestProbe();
    store.tell(new AdapterStore.GetSnapshot(p.ref()));
    return p.receiveMessage(WAIT);
  }

  private AdapterStore.AdapterView view(ActorRef<AdapterStore.Command> store, String id) {
    return snapshot(store).adapters().stream().filter(v -> v.id().equals(id)).findFirst().orElse(null);
  }

  private AdapterEntity.AdapterStatus status(String id) {
    TestProbe<AdapterEntity.AdapterStatus> p = testKit.createTestProbe();
    entity(id).tell(new AdapterEntity.GetStatus(p.ref()));
    return p.receiveMessage(WAIT);
  }

  @Test
  void loadsOnFirstUseAndReportsResidencyToTheEntity() {
    ActorRef<AdapterStore.Command> store = store("node-load", 1L << 30);
    register("qv", Fixtures.adapter("adapter-qv-r8"));
    var leased = assertInstanceOf(AdapterStore.Leased.class, acquire(store, "qv"));
    assertEquals("qv", leased.adapter().id());
    assertEquals(8, leased.adapter().maxRank());
    // The engine puts the weights on its device; its event reaches the store, which tells the entity: device
    // tier, one hit, one in flight.
    loaded.engine().prefetchAdapter(leased.adapter());
    TestProbe<Object> wait = testKit.createTestProbe();
    wait.awaitAssert(WAIT, () -> {
      AdapterEntity.AdapterStatus s = status("qv");
      assertEquals(Tier.DEVICE, s.state());
      assertEquals(1, s.hits());
      assertEquals(1, s.nodes()[0].inFlight());
      return null;
    });
    AdapterStore.TierStats device = snapshot(store).tiers().get(Tier.DEVICE);
    assertEquals(1, device.loads());
    assertEquals(1, device.misses(), "leased before it was on the device");
    var again = assertInstanceOf(AdapterStore.Leased.class, acquire(store, "qv"));
    assertEquals(1, snapshot(store).tiers().get(Tier.DEVICE).hits(), "leased while on the device");
    store.tell(new AdapterStore.Release("qv"));
    store.tell(new AdapterStore.Release("qv"));
    wait.awaitAssert(WAIT, () -> {
      assertEquals(0, status("qv").nodes()[0].inFlight());
      return null;
    });
    // The engine takes it off its device (as when room is needed): the store and the entity hear it.
    loaded.engine().evictAdapter(again.adapter());
    wait.awaitAssert(WAIT, () -> {
      assertEquals(Tier.CPU, status("qv").state());
      assertEquals(Tier.CPU, view(store, "qv").tier());
      assertEquals(1, snapshot(store).tiers().get(Tier.DEVICE).evictions());
      return null;
    });
    assertInstanceOf(AdapterStore.Refused.class, acquire(store, "never-registered"));
  }

  @Test
  void concurrentFirstRequestsShareOneLoad() {
    ActorRef<AdapterStore.Command> store = store("node-concurrent", 1L << 30);
    register("all4", Fixtures.adapter("adapter-all-r4"));
    List<TestProbe<AdapterStore.AcquireResult>> probes = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      TestProbe<AdapterStore.AcquireResult> p = testKit.createTestProbe();
      store.tell(new AdapterStore.Acquire("all4", null, p.ref()));
      probes.add(p);
    }
    Object first = null;
    for (TestProbe<AdapterStore.AcquireResult> p : probes) {
      var l = assertInstanceOf(AdapterStore.Leased.class, p.receiveMessage(WAIT));
      if (first == null) {
        first = l.adapter();
      }
      assertSame(first, l.adapter(), "every waiter gets the one loaded instance");
    }
    AdapterStore.TierStats cpu = snapshot(store).tiers().get(Tier.CPU);
    assertEquals(1, cpu.loads());
    assertEquals(1, cpu.misses());
    assertEquals(16, view(store, "all4").inFlight());
    for (int i = 0; i < 16; i++) {
      store.tell(new AdapterStore.Release("all4"));
    }
  }

  @Test
  void evictsIdleAdaptersOverTheCpuLimitButNeverOnesInUse() {
    ActorRef<AdapterStore.Command> store = store("node-evict", 1); // room for nothing idle
    register("mlp", Fixtures.adapter("adapter-mlp-r8"));
    register("kod", Fixtures.adapter("adapter-kod-r8"));
    assertInstanceOf(AdapterStore.Leased.class, acquire(store, "mlp"));
    assertInstanceOf(AdapterStore.Leased.class, acquire(store, "kod"));
    // Both in use: over the limit, but nothing is evicted.
    assertEquals(Tier.CPU, view(store, "mlp").tier());
    assertEquals(0, snapshot(store).tiers().get(Tier.CPU).evictions());
    store.tell(new AdapterStore.Release("mlp"));
    TestProbe<Object> wait = testKit.createTestProbe();
    wait.awaitAssert(WAIT, () -> {
      assertEquals(Tier.DISK, view(store, "mlp").tier());
      assertEquals(1, snapshot(store).tiers().get(Tier.CPU).evictions());
      return null;
    });
    assertTrue(view(store, "kod").tier().ordinal() >= Tier.CPU.ordinal(), "in use: still in memory");
    // The evicted adapter loads again on its next use.
    assertInstanceOf(AdapterStore.Leased.class, acquire(store, "mlp"));
    assertEquals(3, snapshot(store).tiers().get(Tier.CPU).loads());
    store.tell(new AdapterStore.Release("mlp"));
    store.tell(new AdapterStore.Release("kod"));
  }

  @Test
  void removalWaitsForInFlightRequests() {
    ActorRef<AdapterStore.Command> store = store("node-remove", 1L << 30);
    register("rs", Fixtures.adapter("adapter-rslora-r16"));
    assertInstanceOf(AdapterStore.Leased.class, acquire(store, "rs"));
    TestProbe<AdapterEntity.RemoveResult> removed = testKit.createTestProbe();
    entity("rs").tell(new AdapterEntity.Remove(removed.ref()));
    removed.expectNoMessage(Duration.ofMillis(700));
    assertEquals(Tier.EVICTING, status("rs").state());
    var refused = assertInstanceOf(AdapterStore.Refused.class, acquire(store, "rs"));
    assertInstanceOf(NotFoundException.class, refused.error());
    store.tell(new AdapterStore.Release("rs"));
    assertTrue(removed.receiveMessage(WAIT).existed());
    assertEquals(null, view(store, "rs"));
    assertTrue(!status("rs").registered());
    assertInstanceOf(AdapterStore.Refused.class, acquire(store, "rs"));
  }

  @Test
  void aFailedLoadIsReportedWithTheProblem() throws IOException {
    ActorRef<AdapterStore.Command> store = store("node-fail", 1L << 30);
    Path broken = tmp.resolve("truncated");
    Fixtures.copyTree(Fixtures.adapter("adapter-qv-r8"), broken);
    try (FileChannel ch = FileChannel.open(broken.resolve("adapter_model.safetensors"), StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() / 2);
    }
    register("broken", broken);
    var refused = assertInstanceOf(AdapterStore.Refused.class, acquire(store, "broken"));
    assertInstanceOf(ModelFormatException.class, refused.error());
    assertTrue(refused.error().getMessage().contains("adapter_model.safetensors"), refused.error().getMessage());
    TestProbe<Object> wait = testKit.createTestProbe();
    wait.awaitAssert(WAIT, () -> {
      AdapterEntity.AdapterStatus s = status("broken");
      assertEquals(1, s.nodes().length);
      assertNotNull(s.nodes()[0].lastError());
      return null;
    });
    assertNotNull(view(store, "broken").lastError());
  }
}
