package io.lorafleet.tools.wirebench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import io.lorafleet.actors.protocol.ProtobufMessageSerializer;
import io.lorafleet.actors.protocol.WireLimits;
import io.lorafleet.actors.routing.RelayEvent;
import io.lorafleet.actors.routing.WireResult;
import io.lorafleet.actors.routing.WireToken;
import io.lorafleet.actors.serialization.WireProtocol;
import io.lorafleet.runtime.engine.FinishReason;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lorafleet wire-bench}: relay messages written and read back per second (one thread, the whole
 * serializer call of each side: bytes out, message back) and bytes per message, Protobuf against Kryo.
 */
@Command(name = "wire-bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Measure the cross-node relay messages: serialize + deserialize per second of CPU time and bytes per "
        + "message, the Protobuf protocol against the previous release's Kryo encoding.")
public final class WireBenchCommand implements Callable<Integer> {
  @Option(names = "--seconds", defaultValue = "1", description = "length of one timed round (default: ${DEFAULT-VALUE})")
  double seconds;

  @Option(names = "--rounds", defaultValue = "5", description = "timed rounds per case; the median is reported "
      + "(default: ${DEFAULT-VALUE})")
  int rounds;

  @Option(names = "--json", paramLabel = "FILE", description = "write the figures as JSON")
  Path json;

  private record Case(String name, Object message) {}

  private interface Codec {
    byte[] write(Object o) throws Exception;

    Object read(byte[] b) throws Exception;
  }

  private static List<Case> cases() {
    String id = "6f1c2a9e-4b7d-4c1e-9a53-2f0e8d7b1c44";
    Random r = new Random(1);
    int[] topIds = new int[5];
    float[] topLps = new float[5];
    for (int i = 0; i < 5; i++) {
      topIds[i] = r.nextInt(32000);
      topLps[i] = (float) -r.nextDouble(5);
    }
    int[] prompt = r.ints(70, 0, 32000).toArray();
    int[] tokens = r.ints(128, 0, 32000).toArray();
    float[] lps = new float[128];
    for (int i = 0; i < lps.length; i++) {
      lps[i] = (float) -r.nextDouble(3);
    }
    return List.of(
        new Case("token event", new RelayEvent.Token(id, 1, new WireToken(17, 1820, " the", -0.4213f, new int[0],
            new float[0], false, null))),
        new Case("token event, top-5 logprobs", new RelayEvent.Token(id, 1, new WireToken(17, 1820, " the",
            -0.4213f, topIds, topLps, false, null))),
        new Case("finished, 128 tokens", new RelayEvent.Finished(id, 1, new WireResult(id, "adapter-qv-r8", prompt,
            tokens, "x".repeat(500), lps, new int[0][], new float[0][], null, FinishReason.LENGTH, 42))));
  }

  @Override
  public Integer call() throws Exception {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "wire-bench",
        ConfigFactory.parseString("pekko.actor.provider = local\npekko.loglevel = WARNING")
            .withFallback(ConfigFactory.load()));
    try {
      ProtobufMessageSerializer proto = new ProtobufMessageSerializer(ActorRefResolver.get(system),
          WireProtocol.CURRENT, WireLimits.of(system.settings().config()));
      KryoCodec kryo = new KryoCodec();
      ObjectNode report = new ObjectMapper().createObjectNode();
      report.put("load_average", java.lang.management.ManagementFactory.getOperatingSystemMXBean()
          .getSystemLoadAverage());
      ArrayNode rows = report.putArray("cases");
      System.out.printf("%-30s %-9s %8s %14s %12s%n", "message", "codec", "bytes", "ser+deser/cpu-s", "cpu-ns/round-trip");
      // Both codecs on every message first: the JIT then compiles the shared paths (varint coding, UTF-8) before
      // any timed round, whatever the order of the cases.
      for (int pass = 0; pass < 2; pass++) {
        for (Case c : cases()) {
          String manifest = proto.manifest(c.message());
          long end = System.nanoTime() + 500_000_000L;
          while (System.nanoTime() < end) {
            proto.fromBinary(proto.toBinary(c.message()), manifest);
            kryo.read(kryo.write(c.message()), c.message().getClass());
          }
        }
      }
      for (Case c : cases()) {
        String manifest = proto.manifest(c.message());
        Codec protobuf = new Codec() {
          public byte[] write(Object o) {
            return proto.toBinary(o);
          }

          public Object read(byte[] b) throws Exception {
            return proto.fromBinary(b, manifest);
          }
        };
        Codec k = new Codec() {
          public byte[] write(Object o) {
            return kryo.write(o);
          }

          public Object read(byte[] b) {
            return kryo.read(b, c.message().getClass());
          }
        };
        for (var codec : List.of(java.util.Map.entry("protobuf", protobuf), java.util.Map.entry("kryo", k))) {
          int bytes = codec.getValue().write(c.message()).length;
          double perSecond = measure(codec.getValue(), c.message());
          System.out.printf("%-30s %-9s %8d %,14.0f %12.0f%n", c.name(), codec.getKey(), bytes, perSecond,
              1e9 / perSecond);
          ObjectNode row = rows.addObject();
          row.put("message", c.name());
          row.put("codec", codec.getKey());
          row.put("bytes", bytes);
          row.put("round_trips_per_cpu_second", Math.round(perSecond));
        }
      }
      System.out.printf("load average %.2f, %d CPUs%n", report.get("load_average").asDouble(),
          Runtime.getRuntime().availableProcessors());
      if (json != null) {
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(json.toFile(), report);
      }
      return 0;
    } finally {
      system.terminate();
    }
  }

  /**
   * Median over the rounds of round trips per second of this thread's CPU time (the machine may be shared: wall
   * time would count other processes' turns), after a warm-up as long as two rounds.
   */
  private double measure(Codec codec, Object message) throws Exception {
    var threads = java.lang.management.ManagementFactory.getThreadMXBean();
    long sink = 0;
    long warm = threads.getCurrentThreadCpuTime() + (long) (2 * seconds * 1e9);
    while (threads.getCurrentThreadCpuTime() < warm) {
      for (int i = 0; i < 64; i++) {
        sink += codec.read(codec.write(message)).getClass().hashCode();
      }
    }
    List<Double> perRound = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      long n = 0;
      long start = threads.getCurrentThreadCpuTime();
      long end = start + (long) (seconds * 1e9);
      long now;
      do {
        for (int i = 0; i < 256; i++) {
          sink += codec.read(codec.write(message)).getClass().hashCode();
        }
        n += 256;
        now = threads.getCurrentThreadCpuTime();
      } while (now < end);
      perRound.add(n / ((now - start) / 1e9));
    }
    if (sink == 42) {
      System.out.print("");
    }
    double[] sorted = perRound.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return sorted[sorted.length / 2];
  }

}
