package io.lorafleet.actors.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.lorafleet.actors.serialization.WireProtocol;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every build reads the golden files of every protocol version (src/test/resources/protocol-golden/vN/MANIFEST.bin,
 * one message of each type as release N wrote it) as the values {@link GoldenMessages} holds; a change that
 * breaks reading an old message fails here. The current version has a file for every type.
 *
 * <p>The generator: {@code mvn -pl actors test -Dtest=GoldenMessagesTest -Dlorafleet.protocol.write-golden=true}
 * writes the current version's files (and the previous version's where missing) into src/test/resources; files
 * of released versions are committed and never rewritten.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GoldenMessagesTest {
  private static final Path SOURCES = Path.of("src/test/resources/protocol-golden");

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ConfigFactory.load()).build();

  private ProtobufMessageSerializer writer(int version) {
    return new ProtobufMessageSerializer(ActorRefResolver.get(testKit.system()), version,
        WireLimits.of(testKit.system().settings().config()));
  }

  private Map<String, Object> expected() {
    ProtobufMessageSerializer s = writer(WireProtocol.CURRENT);
    Map<String, Object> byManifest = new HashMap<>();
    for (Object v : GoldenMessages.values(ActorRefResolver.get(testKit.system()))) {
      byManifest.put(s.manifest(v), v);
    }
    return byManifest;
  }

  @Test
  void goldenFilesOfEveryVersionReadAsTheirValues() throws Exception {
    if (Boolean.getBoolean("lorafleet.protocol.write-golden")) {
      write(WireProtocol.CURRENT, true);
      write(WireProtocol.PREVIOUS, false);
    }
    Map<String, Object> expected = expected();
    ProtobufMessageSerializer reader = writer(WireProtocol.CURRENT);
    assertEquals(new TreeSet<>(reader.manifests().values()), new TreeSet<>(expected.keySet()),
        "GoldenMessages has one value of every type");
    Path root = Path.of(getClass().getResource("/protocol-golden").toURI());
    int read = 0;
    for (int version = 1; version <= WireProtocol.CURRENT; version++) {
      Path dir = root.resolve("v" + version);
      assertTrue(Files.isDirectory(dir), "golden files of protocol version " + version + " are kept: " + dir);
      TreeSet<String> files = new TreeSet<>();
      try (var list = Files.list(dir)) {
        list.forEach(f -> files.add(f.getFileName().toString()));
      }
      if (version == WireProtocol.CURRENT) {
        TreeSet<String> all = new TreeSet<>();
        expected.keySet().forEach(m -> all.add(m + ".bin"));
        assertEquals(all, files, "the current version has a golden file of every type");
      }
      for (String file : files) {
        String manifest = file.substring(0, file.length() - ".bin".length());
        Object want = GoldenMessages.asRead(expected.get(manifest), version);
        Object got = reader.fromBinary(Files.readAllBytes(dir.resolve(file)), manifest);
        assertTrue(RandomMessages.same(want, got), "v" + version + "/" + file + " reads as\n  "
            + RandomMessages.show(got) + "\nnot\n  " + RandomMessages.show(want));
        read++;
      }
    }
    // Every type has files of both versions, but those added in the current one (IssuedKey, "t.key").
    assertTrue(read >= 2 * expected.size() - GoldenMessages.ADDED_IN_CURRENT.size(), read + " golden files read");
    for (String added : GoldenMessages.ADDED_IN_CURRENT) {
      assertTrue(!Files.exists(root.resolve("v" + WireProtocol.PREVIOUS).resolve(added + ".bin")),
          added + " was added in version " + WireProtocol.CURRENT + ": no file of an older version");
    }
  }

  private void write(int version, boolean overwrite) throws IOException {
    Path dir = SOURCES.resolve("v" + version);
    Files.createDirectories(dir);
    ProtobufMessageSerializer w = writer(version);
    for (Object v : GoldenMessages.values(ActorRefResolver.get(testKit.system()))) {
      Object value = GoldenMessages.asRead(v, version);
      Path f = dir.resolve(w.manifest(value) + ".bin");
      if (version < WireProtocol.CURRENT && GoldenMessages.ADDED_IN_CURRENT.contains(w.manifest(value))) {
        continue; // an older release never wrote it
      }
      if (overwrite || !Files.exists(f)) {
        Files.write(f, w.toBinary(value));
      }
    }
    System.out.println("golden files of protocol version " + version + " written to " + dir.toAbsolutePath());
  }

}
