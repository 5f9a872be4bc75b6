package io.lorafleet.actors.serialization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.lorafleet.actors.adapters.AdapterEntity;
import io.lorafleet.actors.adapters.AdapterStore;
import io.lorafleet.actors.adapters.NodeResidency;
import io.lorafleet.actors.adapters.RegisteredAdapter;
import io.lorafleet.actors.adapters.Tier;
import io.lorafleet.actors.cluster.ClusterSupervisor;
import io.lorafleet.actors.routing.AdapterPlacement;
import io.lorafleet.actors.routing.GenerationService;
import io.lorafleet.actors.routing.NodeAnnouncement;
import io.lorafleet.actors.routing.NodeFailedException;
import io.lorafleet.actors.routing.RelayEvent;
import io.lorafleet.actors.routing.WireError;
import io.lorafleet.actors.routing.WireParams;
import io.lorafleet.actors.routing.WireResult;
import io.lorafleet.actors.routing.WireToken;
import io.lorafleet.runtime.engine.FinishReason;
import io.lorafleet.runtime.engine.GenerationResult;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.engine.TokenOutput;
import io.lorafleet.runtime.engine.TopLogprob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every message type that may cross nodes survives a round trip through the configured serializer. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KryoMessageSerializerTest {
  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ConfigFactory.load()).build();

  private Object roundTrip(Object message) {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    var serializer = serialization.findSerializerFor(message);
    assertInstanceOf(KryoMessageSerializer.class, serializer, message.getClass().getName());
    byte[] bytes = serialization.serialize(message).get();
    String manifest = Serializers.manifestFor(serializer, message);
    return serialization.deserialize(bytes, serializer.identifier(), manifest).get();
  }

  @Test
  void everyCrossNodeMessageRoundTrips() {
    ActorRef<AdapterEntity.Resolution> resolutions = testKit.<AdapterEntity.Resolution>createTestProbe().ref();
    ActorRef<AdapterEntity.RegisterResult> registers = testKit.<AdapterEntity.RegisterResult>createTestProbe().ref();
    ActorRef<AdapterEntity.AdapterStatus> statuses = testKit.<AdapterEntity.AdapterStatus>createTestProbe().ref();
    ActorRef<AdapterEntity.RemoveResult> removes = testKit.<AdapterEntity.RemoveResult>createTestProbe().ref();
    ActorRef<AdapterStore.Command> store = testKit.<AdapterStore.Command>createTestProbe().ref();
    ActorRef<AdapterEntity.Command> entity = testKit.<AdapterEntity.Command>createTestProbe().ref();
    NodeResidency residency = new NodeResidency("pekko://lorafleet@127.0.0.1:2552", store, Tier.DEVICE, 3, 1 << 20,
        42, 1_700_000_000_000L, null);
    NodeResidency failed = new NodeResidency("pekko://lorafleet@127.0.0.1:2553", store, Tier.DISK, 0, 0, 0, 0,
        "adapter_model.safetensors: truncated");
    List<Object> messages = new ArrayList<>(List.of(
        Tier.FETCHING,
        residency,
        new RegisteredAdapter("file:/adapters/a", true),
        new AdapterEntity.Resolve(null, "pekko://lorafleet@127.0.0.1:2552", store, resolutions),
        new AdapterEntity.Resolve("https://example.com/a", "n", store, resolutions),
        new AdapterEntity.Resolution("a", "file:/adapters/a", false, false),
        new AdapterEntity.Resolution("a", null, false, true),
        new AdapterEntity.Register("file:/adapters/a", registers),
        new AdapterEntity.RegisterResult("a", "file:/adapters/a", true, null),
        new AdapterEntity.Report(residency),
        new AdapterEntity.SetPinned(true, statuses),
        new AdapterEntity.Remove(removes),
        new AdapterEntity.RemoveResult("a", true),
        new AdapterEntity.NodeUnloaded("pekko://lorafleet@127.0.0.1:2552"),
        new AdapterEntity.GetStatus(statuses),
        new AdapterStore.Unload("a", entity),
        new AdapterStore.PinChanged("a", false)));
    Set<Class<?>> covered = new HashSet<>();
    for (Object m : messages) {
      assertEquals(m, roundTrip(m), m.getClass().getName());
      covered.add(m.getClass());
    }
    AdapterEntity.AdapterStatus status = new AdapterEntity.AdapterStatus("a", true, "file:/adapters/a", true,
        Tier.CPU, 7, 0.5, 1_700_000_000_000L, new NodeResidency[] {residency, failed});
    AdapterEntity.AdapterStatus back = (AdapterEntity.AdapterStatus) roundTrip(status);
    assertEquals(status.id(), back.id());
    assertEquals(status.state(), back.state());
    assertEquals(status.requestsPerSecond(), back.requestsPerSecond());
    assertArrayEquals(status.nodes(), back.nodes());
    covered.add(AdapterEntity.AdapterStatus.class);
    covered.add(NodeResidency[].class);
    fleetMessagesRoundTrip(covered);
    assertEquals(new HashSet<>(KryoMessageSerializer.registeredTypes(testKit.system().settings().config())), covered,
        "every registered type is tested");
  }

  @Test
  void everyCrossNodeTypeIsContributedOnceInTheOrderOfTheFormerSingleList() throws Exception {
    List<Class<?>> registered = KryoMessageSerializer.registeredTypes(testKit.system().settings().config());
    // Registration ids are positions: these fix the ids nodes of one cluster must share.
    assertEquals(48, registered.size());
    assertEquals(Tier.class, registered.get(0));
    assertEquals(AdapterStore.PinChanged.class, registered.get(16));
    assertEquals(int[].class, registered.get(17));
    assertEquals(AdapterPlacement.class, registered.get(38));
    assertEquals(ClusterSupervisor.Decision[].class, registered.get(47));
    // Every concrete CrossNode type of the product is among them.
    Path classes = Path.of(CrossNode.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> missing = new ArrayList<>();
    try (var files = Files.walk(classes)) {
      for (Path f : files.filter(f -> f.toString().endsWith(".class")).toList()) {
        String name = classes.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
        Class<?> c = Class.forName(name, false, getClass().getClassLoader());
        if (CrossNode.class.isAssignableFrom(c) && !c.isInterface() && !registered.contains(c)) {
          missing.add(name);
        }
      }
    }
    assertEquals(List.of(), missing, "CrossNode types no CrossNodeTypes lists");
  }

  /** The fleet's messages (records with arrays compare by content, so each is checked field by field). */
  private void fleetMessagesRoundTrip(Set<Class<?>> covered) {
    ActorRef<RelayEvent> relay = testKit.<RelayEvent>createTestProbe().ref();
    ActorRef<GenerationService.Command> service = testKit.<GenerationService.Command>createTestProbe().ref();
    SamplingParams sp = SamplingParams.builder().maxNewTokens(24).temperature(0.7).topK(5).topP(0.9).seed(42L)
        .stop(List.of("\n\n", "END")).ignoreEos(true).topLogprobs(2).build();
    WireParams params = WireParams.of(sp);
    assertEquals(sp, ((WireParams) roundTrip(params)).toParams());
    assertEquals(SamplingParams.greedy(3), ((WireParams) roundTrip(WireParams.of(SamplingParams.greedy(3)))).toParams());
    for (var c : List.of(io.lorafleet.runtime.constrain.OutputConstraint.jsonObject(),
        io.lorafleet.runtime.constrain.OutputConstraint.regex("[a-z]+"),
        io.lorafleet.runtime.constrain.OutputConstraint.jsonSchema("{\"type\":\"integer\"}"))) {
      SamplingParams constrained = SamplingParams.builder().maxNewTokens(8).constraint(c).build();
      assertEquals(constrained, ((WireParams) roundTrip(WireParams.of(constrained))).toParams());
    }
    TokenOutput token = new TokenOutput(3, 77, "ab", -0.25f, List.of(new TopLogprob(77, -0.25f),
        new TopLogprob(5, -2f)), false, FinishReason.LENGTH);
    assertEquals(token, ((WireToken) roundTrip(WireToken.of(token))).toToken());
    TokenOutput plain = new TokenOutput(0, 1, "", 0f, List.of(), true, null);
    assertEquals(plain, ((WireToken) roundTrip(WireToken.of(plain))).toToken());
    GenerationResult result = new GenerationResult("r1", null, new int[] {1, 2}, new int[] {3, 4}, "xy",
        new float[] {-1f, -2f}, List.of(List.of(new TopLogprob(3, -1f)), List.of()), null, FinishReason.EOS, 9L, 0, 0, 0);
    GenerationResult back = ((WireResult) roundTrip(WireResult.of(result))).toResult("r1", 0, 0);
    assertArrayEquals(result.tokenIds(), back.tokenIds());
    assertArrayEquals(result.logprobs(), back.logprobs());
    assertEquals(result.topLogprobs(), back.topLogprobs());
    assertEquals(result.text(), back.text());
    assertEquals(result.finishReason(), back.finishReason());
    assertEquals(result.seed(), back.seed());
    WireError error = new WireError("node_failed", "gone");
    assertEquals(error, roundTrip(error));
    assertInstanceOf(NodeFailedException.class, error.toException());
    assertEquals(new RelayEvent.Started("r", 1), roundTrip(new RelayEvent.Started("r", 1)));
    assertEquals(new RelayEvent.Refused("r", 2, error), roundTrip(new RelayEvent.Refused("r", 2, error)));
    assertEquals(new RelayEvent.Failed("r", 2, error), roundTrip(new RelayEvent.Failed("r", 2, error)));
    RelayEvent.Token t = (RelayEvent.Token) roundTrip(new RelayEvent.Token("r", 1, WireToken.of(token)));
    assertEquals(token, t.token().toToken());
    RelayEvent.Finished f = (RelayEvent.Finished) roundTrip(new RelayEvent.Finished("r", 1, WireResult.of(result)));
    assertEquals("xy", f.result().text());
    GenerationService.Generate g = (GenerationService.Generate) roundTrip(new GenerationService.Generate("r", 1,
        new int[] {1000, 5}, "adapter-qv-r8", null, params, relay));
    assertArrayEquals(new int[] {1000, 5}, g.prompt());
    assertEquals(sp, g.params().toParams());
    assertEquals(relay, g.replyTo());
    assertEquals(new GenerationService.Cancel("r", 1), roundTrip(new GenerationService.Cancel("r", 1)));
    assertEquals(new GenerationService.Drain("admin"), roundTrip(new GenerationService.Drain("admin")));
    assertEquals(new GenerationService.DropAdapter("a"), roundTrip(new GenerationService.DropAdapter("a")));
    NodeAnnouncement a = new NodeAnnouncement("pekko://lorafleet@127.0.0.1:2552", "http://127.0.0.1:8080", service,
        1L << 30, 16, 64, 3, 5, new String[] {"a", "b"}, new String[] {"a"}, new double[] {2.5}, true, 17, 4);
    NodeAnnouncement ab = (NodeAnnouncement) roundTrip(a);
    assertEquals(a.toLoad(0), ab.toLoad(0));
    assertEquals(service, ab.service());
    AdapterPlacement p = (AdapterPlacement) roundTrip(new AdapterPlacement(2, new String[] {"n1", "n2"}, "hot", false));
    assertEquals(List.of("n1", "n2"), p.nodeList());
    var placements = testKit.<ClusterSupervisor.PlacementResult>createTestProbe().ref();
    var rebalances = testKit.<ClusterSupervisor.RebalanceResult>createTestProbe().ref();
    var statuses = testKit.<ClusterSupervisor.Status>createTestProbe().ref();
    assertEquals(new ClusterSupervisor.SetReplicas("a", 3, placements),
        roundTrip(new ClusterSupervisor.SetReplicas("a", 3, placements)));
    assertEquals(new ClusterSupervisor.MoveAdapter("a", "n2", placements),
        roundTrip(new ClusterSupervisor.MoveAdapter("a", "n2", placements)));
    assertArrayEquals(new String[] {"n2"}, ((ClusterSupervisor.PlacementResult) roundTrip(
        new ClusterSupervisor.PlacementResult("a", new String[] {"n2"}, null))).nodes());
    assertEquals(new ClusterSupervisor.Rebalance(rebalances), roundTrip(new ClusterSupervisor.Rebalance(rebalances)));
    assertArrayEquals(new String[] {"a: x -> y"}, ((ClusterSupervisor.RebalanceResult) roundTrip(
        new ClusterSupervisor.RebalanceResult(new String[] {"a: x -> y"}))).changes());
    assertEquals(new ClusterSupervisor.GetStatus(statuses), roundTrip(new ClusterSupervisor.GetStatus(statuses)));
    ClusterSupervisor.Decision d = new ClusterSupervisor.Decision(5L, "scale-out", "fleet", "busy");
    assertEquals(d, roundTrip(d));
    ClusterSupervisor.Status st = (ClusterSupervisor.Status) roundTrip(new ClusterSupervisor.Status("n", "none", 3, 3,
        0, new String[0], new ClusterSupervisor.Decision[] {d}));
    assertArrayEquals(new ClusterSupervisor.Decision[] {d}, st.decisions());
    covered.addAll(List.of(int[].class, int[][].class, float[].class, float[][].class, double[].class, String[].class,
        FinishReason.class, WireParams.class, WireToken.class, WireResult.class, WireError.class,
        RelayEvent.Started.class, RelayEvent.Refused.class, RelayEvent.Token.class, RelayEvent.Finished.class,
        RelayEvent.Failed.class, GenerationService.Generate.class, GenerationService.Cancel.class,
        GenerationService.Drain.class, GenerationService.DropAdapter.class, NodeAnnouncement.class,
        AdapterPlacement.class, ClusterSupervisor.SetReplicas.class, ClusterSupervisor.MoveAdapter.class,
        ClusterSupervisor.PlacementResult.class, ClusterSupervisor.Rebalance.class,
        ClusterSupervisor.RebalanceResult.class, ClusterSupervisor.GetStatus.class, ClusterSupervisor.Status.class,
        ClusterSupervisor.Decision.class, ClusterSupervisor.Decision[].class));
  }

  /** What this thread allocated while the action ran (HotSpot's per-thread allocation counter). */
  private static long allocatedBy(Runnable action) {
    var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    action.run();
    return threads.getCurrentThreadAllocatedBytes() - before;
  }

  private static byte[] varInt(int value) {
    var out = new com.esotericsoftware.kryo.io.Output(8);
    out.writeVarInt(value, true);
    return out.toBytes();
  }

  private void assertRefusedCheaply(KryoMessageSerializer kryo, byte[] payload, String manifest) {
    long allocated = allocatedBy(() -> {
      var e = assertThrows(java.io.NotSerializableException.class, () -> kryo.fromBinary(payload, manifest), manifest);
      assertTrue(e.getMessage().contains("malformed"), e.getMessage());
    });
    assertTrue(allocated < 1 << 20, manifest + ": refusing a " + payload.length + "-byte payload allocated "
        + allocated + " bytes");
  }

  @Test
  void declaredLengthsBeyondTheBytesLeftAreRefusedBeforeAnythingIsAllocated() throws Exception {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    KryoMessageSerializer kryo = (KryoMessageSerializer) serialization.serializerFor(RegisteredAdapter.class);
    // The case: 4 bytes claiming 200M ints (Kryo alone allocates 800 MB, or fails with OutOfMemoryError
    // for lengths near Integer.MAX_VALUE). Every registered array type, with a small and a huge claim.
    assertEquals(4, varInt(200_000_001).length);
    int arrays = 0;
    for (Class<?> c : KryoMessageSerializer.registeredTypes(testKit.system().settings().config())) {
      if (c.isArray()) {
        arrays++;
        for (int claimed : new int[] {200_000_000, Integer.MAX_VALUE - 1}) {
          assertRefusedCheaply(kryo, varInt(claimed + 1), c.getName());
        }
        // a claim one larger than the bytes that follow, with those bytes present
        byte[] almost = new byte[64];
        byte[] header = varInt(64 + 1);
        System.arraycopy(header, 0, almost, 0, header.length);
        assertRefusedCheaply(kryo, almost, c.getName());
      }
    }
    assertEquals(8, arrays); // NodeResidency[], int[], int[][], float[], float[][], double[], String[], Decision[]
    // A string field claiming 200M characters (UTF-8 form: flag bit, then the count + 1).
    var header = new com.esotericsoftware.kryo.io.Output(8);
    header.writeVarIntFlag(true, 200_000_001, true);
    assertRefusedCheaply(kryo, header.toBytes(), RegisteredAdapter.class.getName());
    // An array inside a real message: a relayed request whose prompt claims 200M tokens.
    ActorRef<RelayEvent> relay = testKit.<RelayEvent>createTestProbe().ref();
    byte[] real = kryo.toBinary(new GenerationService.Generate("r", 1, new int[] {1000, 5}, "adapter-qv-r8", null,
        WireParams.of(SamplingParams.greedy(3)), relay));
    byte[] prompt = kryo.toBinary(new int[] {1000, 5}); // the array alone: its length + 1, then the elements
    assertEquals(3, prompt[0]);
    int at = indexOf(real, prompt);
    assertTrue(at > 0, "the prompt's encoding is in the message");
    byte[] claim = varInt(200_000_001);
    byte[] forged = new byte[real.length - 1 + claim.length];
    System.arraycopy(real, 0, forged, 0, at);
    System.arraycopy(claim, 0, forged, at, claim.length);
    System.arraycopy(real, at + 1, forged, at + claim.length, real.length - at - 1);
    assertRefusedCheaply(kryo, forged, GenerationService.Generate.class.getName());
    // The serializer keeps working after refusals.
    assertEquals(new RegisteredAdapter("file:/adapters/a", true), roundTrip(new RegisteredAdapter("file:/adapters/a", true)));
    assertEquals("\u00e9t\u00e9", ((RegisteredAdapter) roundTrip(new RegisteredAdapter("\u00e9t\u00e9", false))).source());
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void actorRefsResolveToTheSameActor() {
    var probe = testKit.<AdapterEntity.Resolution>createTestProbe();
    AdapterEntity.Resolve back = (AdapterEntity.Resolve) roundTrip(new AdapterEntity.Resolve(null, "n", null, probe.ref()));
    back.replyTo().tell(new AdapterEntity.Resolution("x", null, false, false));
    assertEquals("x", probe.receiveMessage().id());
  }

  @Test
  void javaSerializationIsOffAndUnregisteredClassesAreRefused() throws Exception {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    assertTrue(serialization.serialize(new java.util.ArrayList<>(List.of("x"))).isFailure());
    KryoMessageSerializer kryo = (KryoMessageSerializer) serialization.serializerFor(RegisteredAdapter.class);
    assertThrows(IllegalArgumentException.class, () -> kryo.toBinary("not a message"));
    assertThrows(java.io.NotSerializableException.class, () -> kryo.fromBinary(new byte[] {1}, "java.lang.Runtime"));
  }
}
