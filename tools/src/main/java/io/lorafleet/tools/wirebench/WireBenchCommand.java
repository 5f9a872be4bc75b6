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
        + "message, the Protobuf protocol against the previous release's Kryo encoding (rounds interleaved, "
        + "median per message and codec).")
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
      List<Subject> subjects = new ArrayList<>();
      for (Case c : cases()) {
        String manifest = proto.manifest(c.message());
        subjects.add(new Subject(c, "protobuf", new Codec() {
          public byte[] write(Object o) {
            return proto.toBinary(o);
          }

          public Object read(byte[] b) throws Exception {
            return proto.fromBinary(b, manifest);
          }
        }));
        subjects.add(new Subject(c, "kryo", new Codec() {
          public byte[] write(Object o) {
            return kryo.write(o);
          }

          public Object read(byte[] b) {
            return kryo.read(b, c.message().getClass());
          }
        }));
      }
      // Every codec on every message first (the JIT compiles the shared paths whatever the order), then the timed
      // rounds interleaved: round r times every subject once, starting at a different one each round, so that a
      // slow spell of the machine does not fall on one subject.
      for (int pass = 0; pass < 2; pass++) {
        for (Subject subject : subjects) {
          timedRound(subject, seconds / 2);
        }
      }
      for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < subjects.size(); i++) {
          Subject subject = subjects.get((i + round) % subjects.size());
          subject.perRound.add(timedRound(subject, seconds));
        }
      }
      for (Subject subject : subjects) {
        int bytes = subject.codec.write(subject.c.message()).length;
        double perSecond = subject.median();
        System.out.printf("%-30s %-9s %8d %,14.0f %12.0f%n", subject.c.name(), subject.name, bytes, perSecond,
            1e9 / perSecond);
        ObjectNode row = rows.addObject();
        row.put("message", subject.c.name());
        row.put("codec", subject.name);
        row.put("bytes", bytes);
        row.put("round_trips_per_cpu_second", Math.round(perSecond));
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

  private record Subject(Case c, String name, Codec codec, List<Double> perRound) {
    Subject(Case c, String name, Codec codec) {
      this(c, name, codec, new ArrayList<>());
    }

    double median() {
      double[] sorted = perRound.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      return sorted[sorted.length / 2];
    }
  }

  private static long sink;

  /**
   * Round trips per second of this thread's CPU time (the machine may be shared: wall time would count other
   * processes' turns) over one round of {@code length} CPU seconds.
   */
  private static double timedRound(Subject subject, double length) throws Exception {
    var threads = java.lang.management.ManagementFactory.getThreadMXBean();
    Object message = subject.c.message();
    long n = 0;
    long start = threads.getCurrentThreadCpuTime();
    long end = start + (long) (length * 1e9);
    long now;
    do {
      for (int i = 0; i < 256; i++) {
        sink += subject.codec.read(subject.codec.write(message)).getClass().hashCode();
      }
      n += 256;
      now = threads.getCurrentThreadCpuTime();
    } while (now < end);
    return n / ((now - start) / 1e9);
  }
}
