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
    assertEquals(new HashSet<>(KryoMessageSerializer.REGISTERED), covered, "every registered type is tested");
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
