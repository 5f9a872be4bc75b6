package io.lorafleet.actors.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedOutputStream;
import com.typesafe.config.ConfigFactory;
import io.lorafleet.actors.adapters.AdapterEntity;
import io.lorafleet.actors.adapters.RegisteredAdapter;
import io.lorafleet.actors.routing.GenerationService;
import io.lorafleet.actors.routing.NodeAnnouncement;
import io.lorafleet.actors.routing.WireParams;
import io.lorafleet.actors.serialization.CrossNode;
import io.lorafleet.actors.serialization.WireProtocol;
import io.lorafleet.runtime.engine.PriorityClass;
import io.lorafleet.runtime.engine.SamplingParams;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every cross-node type has a Protobuf mapping and survives a round trip over random values; unknown fields are
 * ignored; the previous version's writer leaves out what it added; hostile payloads are refused cleanly and
 * cheaply.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProtobufMessageSerializerTest {
  private static final int SEEDS = 200;

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ConfigFactory.load()).build();

  private Serialization serialization() {
    return SerializationExtension.get(Adapter.toClassic(testKit.system()));
  }

  private ProtobufMessageSerializer serializer() {
    return (ProtobufMessageSerializer) serialization().findSerializerFor(new RegisteredAdapter("x", false));
  }

  private Object roundTrip(Object message) {
    var serializer = serialization().findSerializerFor(message);
    assertInstanceOf(ProtobufMessageSerializer.class, serializer, message.getClass().getName());
    byte[] bytes = serialization().serialize(message).get();
    String manifest = Serializers.manifestFor(serializer, message);
    return serialization().deserialize(bytes, serializer.identifier(), manifest).get();
  }

  @Test
  void everyCrossNodeTypeHasAShortStableManifest() throws Exception {
    Map<Class<?>, String> manifests = serializer().manifests();
    Path classes = Path.of(CrossNode.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> missing = new ArrayList<>();
    try (var files = Files.walk(classes)) {
      for (Path f : files.filter(f -> f.toString().endsWith(".class")).toList()) {
        String name = classes.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
        Class<?> c = Class.forName(name, false, getClass().getClassLoader());
        if (CrossNode.class.isAssignableFrom(c) && !c.isInterface() && !manifests.containsKey(c)) {
          missing.add(name);
        }
      }
    }
    assertEquals(List.of(), missing, "CrossNode types without a Protobuf mapping");
    assertEquals(40, manifests.size(), manifests.toString());
    for (var e : manifests.entrySet()) {
      assertTrue(e.getValue().matches("[a-z]\\.[a-z-]{2,20}"), e.getKey().getName() + ": " + e.getValue());
      assertTrue(CrossNode.class.isAssignableFrom(e.getKey()), e.getKey().getName());
    }
  }

  @Test
  void everyCrossNodeTypeRoundTripsOverRandomValues() {
    ActorRef<Object> ref = testKit.createTestProbe().ref();
    int checked = 0;
    for (Class<?> type : new TreeSet<>(serializer().manifests().keySet().stream().map(Class::getName).toList())
        .stream().map(this::load).toList()) {
      for (int seed = 0; seed < SEEDS; seed++) {
        Object value = new RandomMessages(seed * 31L + type.getName().hashCode(), ref).of(type);
        Object back = roundTrip(value);
        assertTrue(RandomMessages.same(value, back), type.getSimpleName() + " seed " + seed + ":\n  "
            + RandomMessages.show(value) + "\n  " + RandomMessages.show(back));
        checked++;
      }
    }
    assertEquals(40 * SEEDS, checked);
  }

  private Class<?> load(String name) {
    try {
      return Class.forName(name);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void actorRefsResolveToTheSameActor() {
    var probe = testKit.<AdapterEntity.Resolution>createTestProbe();
    var back = (AdapterEntity.Resolve) roundTrip(new AdapterEntity.Resolve(null, "n", null, probe.ref()));
    back.replyTo().tell(new AdapterEntity.Resolution("x", null, false, false));
    assertEquals("x", probe.receiveMessage().id());
  }

  @Test
  void unknownFieldsAreIgnored() throws Exception {
    ActorRef<Object> ref = testKit.createTestProbe().ref();
    ProtobufMessageSerializer s = serializer();
    for (Class<?> type : s.manifests().keySet()) {
      Object value = new RandomMessages(7, ref).of(type);
      ByteArrayOutputStream later = new ByteArrayOutputStream();
      later.write(s.toBinary(value));
      CodedOutputStream out = CodedOutputStream.newInstance(later);
      out.writeString(900, "a field of a later release"); // unknown fields of every wire type
      out.writeInt64(901, -5);
      out.writeFixed32(902, 7);
      out.flush();
      Object back = s.fromBinary(later.toByteArray(), s.manifest(value));
      assertTrue(RandomMessages.same(value, back), type.getName());
    }
  }

  @Test
  void theProtocolVersionSettingChoosesWhatIsWritten() throws Exception {
    var resolver = ActorRefResolver.get(testKit.system());
    var limits = WireLimits.of(testKit.system().settings().config());
    ActorRef<GenerationService.Command> service = testKit.<GenerationService.Command>createTestProbe().ref();
    NodeAnnouncement a = new NodeAnnouncement("n", "http://h", service, 1, 2, 3, 4, 5, new String[] {"a"},
        new String[0], new double[0], true, 6, 7, 2);
    assertEquals(WireProtocol.CURRENT, serializer().version());
    var current = new ProtobufMessageSerializer(resolver, 2, limits);
    var previous = new ProtobufMessageSerializer(resolver, 1, limits);
    assertEquals(2, ((NodeAnnouncement) current.fromBinary(current.toBinary(a), "l.announce")).protocolVersion());
    byte[] v1 = previous.toBinary(a);
    assertEquals(1, ((NodeAnnouncement) current.fromBinary(v1, "l.announce")).protocolVersion(),
        "a version-1 announcement has no protocol_version: read as 1");
    assertEquals(current.toBinary(a).length - 2, v1.length, "version 1 leaves out field 15 (2 bytes)");
    // Params.priority (field 15) likewise: version 1 leaves it out, and a message without it reads as standard.
    WireParams batch = WireParams.of(SamplingParams.greedy(3), PriorityClass.BATCH);
    assertEquals(PriorityClass.BATCH,
        ((WireParams) current.fromBinary(current.toBinary(batch), "r.params")).priorityClass());
    WireParams old = (WireParams) current.fromBinary(previous.toBinary(batch), "r.params");
    assertEquals("", old.priority());
    assertEquals(PriorityClass.STANDARD, old.priorityClass());
    assertEquals(current.toBinary(batch).length - 7, previous.toBinary(batch).length,
        "version 1 leaves out field 15 (tag, length, \"batch\")");
    var e = assertThrows(IllegalArgumentException.class, () -> WireProtocol.written(ConfigFactory.parseString(
        WireProtocol.VERSION_SETTING + " = 3")));
    assertTrue(e.getMessage().contains("lorafleet.cluster.protocol-version = 3"), e.getMessage());
  }

  @Test
  void javaSerializationIsOffAndUnknownManifestsAndTypesAreRefused() {
    assertTrue(serialization().serialize(new java.util.ArrayList<>(List.of("x"))).isFailure());
    ProtobufMessageSerializer s = serializer();
    assertThrows(IllegalArgumentException.class, () -> s.toBinary("not a message"));
    var e = assertThrows(NotSerializableException.class, () -> s.fromBinary(new byte[] {8, 1}, "java.lang.Runtime"));
    assertTrue(e.getMessage().contains("unknown manifest"), e.getMessage());
  }

  // ---- hostile payloads ----

  /** What this thread allocated while the action ran (HotSpot's per-thread allocation counter). */
  private static long allocatedBy(Runnable action) {
    var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    action.run();
    return threads.getCurrentThreadAllocatedBytes() - before;
  }

  private static void assertRefusedCheaply(ProtobufMessageSerializer s, byte[] payload, String manifest,
      String because) {
    long allocated = allocatedBy(() -> {
      var e = assertThrows(NotSerializableException.class, () -> s.fromBinary(payload, manifest), manifest);
      assertTrue(e.getMessage().contains("malformed") && e.getMessage().contains(because),
          manifest + ": " + e.getMessage());
    });
    assertTrue(allocated < 1 << 20, manifest + ": refusing a " + payload.length + "-byte payload allocated "
        + allocated + " bytes");
  }

  /** A length-delimited field {@code field} claiming {@code length} bytes, with none of them present. */
  private static byte[] claim(int field, int length) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(b);
    out.writeTag(field, 2);
    out.writeUInt32NoTag(length);
    out.flush();
    return b.toByteArray();
  }

  @Test
  void declaredLengthsBeyondTheBytesLeftAreRefusedBeforeAnythingIsAllocated() throws Exception {
    ProtobufMessageSerializer s = serializer();
    assertEquals(4, claim(1, 2_000_000).length); // a 4-byte payload claiming 2 MB
    int payloads = 0;
    for (String manifest : s.manifests().values()) {
      for (int field = 1; field <= 15; field++) {
        for (int length : new int[] {2_000_000, 200_000_000, Integer.MAX_VALUE}) {
          assertRefusedCheaply(s, claim(field, length), manifest, "");
          payloads++;
        }
      }
    }
    assertTrue(payloads == 40 * 15 * 3);
    // A relayed request whose packed prompt claims 200M tokens, inside an otherwise real message.
    ActorRef<Object> relay = testKit.createTestProbe().ref();
    var real = new GenerationService.Generate("r", 1, new int[] {1000, 5}, "adapter-qv-r8", null,
        WireParams.of(SamplingParams.greedy(3)), relay.unsafeUpcast());
    byte[] bytes = s.toBinary(real);
    ByteArrayOutputStream forged = new ByteArrayOutputStream();
    forged.write(bytes);
    forged.write(claim(3, 200_000_000));
    assertRefusedCheaply(s, forged.toByteArray(), "r.gen", "");
    // Groups nested 50 000 deep (an old wire type protobuf-java skips recursively): refused, no stack overflow.
    ByteArrayOutputStream deep = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(deep);
    for (int i = 0; i < 50_000; i++) {
      out.writeTag(99, 3);
    }
    out.flush();
    assertRefusedCheaply(s, deep.toByteArray(), "a.reg", "");
    // The serializer keeps working after refusals.
    assertEquals(new RegisteredAdapter("\u00e9t\u00e9", false), roundTrip(new RegisteredAdapter("\u00e9t\u00e9", false)));
  }

  @Test
  void messagesRepeatedFieldsAndStringsBeyondTheLimitsAreRefused() throws Exception {
    ProtobufMessageSerializer s = serializer();
    var resolver = ActorRefResolver.get(testKit.system());
    ActorRef<Object> relay = testKit.createTestProbe().ref();
    // Larger than the frame size (256 KiB): 300 000 prompt tokens.
    int[] prompt = new int[300_000];
    java.util.Arrays.fill(prompt, 30_000);
    byte[] big = s.toBinary(new GenerationService.Generate("r", 1, prompt, null, null,
        WireParams.of(SamplingParams.greedy(3)), relay.unsafeUpcast()));
    assertTrue(big.length > 256 * 1024);
    assertRefusedCheaply(s, big, "r.gen", "more than the 262144 allowed");
    // Within the size, beyond the explicit limits (here set low): elements of a repeated field, characters.
    var strict = new ProtobufMessageSerializer(resolver, WireProtocol.CURRENT, new WireLimits(256 * 1024, 1000, 100));
    String[] many = new String[5000];
    java.util.Arrays.fill(many, "");
    byte[] announcement = s.toBinary(new NodeAnnouncement("n", "http://h", null, 1, 2, 3, 4, 5, many,
        new String[0], new double[0], true, 6, 7, 2));
    assertTrue(announcement.length < 256 * 1024);
    assertRefusedCheaply(strict, announcement, "l.announce", "resident_adapters has 5000 elements");
    byte[] longSource = s.toBinary(new RegisteredAdapter("x".repeat(101), true));
    assertRefusedCheaply(strict, longSource, "a.reg", "source has 101 characters");
    // Inconsistent parallel fields are refused, not half-read.
    byte[] skewed = s.toBinary(new NodeAnnouncement("n", "http://h", null, 1, 2, 3, 4, 5, new String[0],
        new String[] {"a"}, new double[] {1}, true, 6, 7, 2));
    ByteArrayOutputStream more = new ByteArrayOutputStream();
    more.write(skewed);
    more.write(new byte[] {(byte) ((11 << 3) | 1), 0, 0, 0, 0, 0, 0, 0, 0}); // one more (unpacked) rate
    assertRefusedCheaply(s, more.toByteArray(), "l.announce", "rate_adapters has 1 elements but rates 2");
  }
}
