package io.lorafleet.actors.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.cli.CliInputException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The cluster flags of {@code serve} and the profiles of cluster-config/. */
class ServeCommandTest {
  private static Path profile(String name) {
    return Fixtures.root().getParent().resolve("cluster-config").resolve(name);
  }

  private static Config parse(String... args) {
    ServeCommand cmd = new ServeCommand();
    List<String> all = new java.util.ArrayList<>(List.of("--model", Fixtures.model().toString(), "--adapters",
        Fixtures.adapters().toString()));
    all.addAll(List.of(args));
    new CommandLine(cmd).parseArgs(all.toArray(String[]::new));
    return cmd.config();
  }

  @Test
  void clusterFlagsOverrideTheProfile() {
    Config c = parse("--cluster-config", profile("local-3.conf").toString(), "--remote-port", "25599",
        "--seed-nodes", "127.0.0.1:25521,127.0.0.1:25522", "--port", "0", "--roles", "ingress");
    assertEquals(25599, c.getInt("pekko.remote.artery.canonical.port"));
    assertEquals(List.of("pekko://lorafleet@127.0.0.1:25521", "pekko://lorafleet@127.0.0.1:25522"),
        c.getStringList("pekko.cluster.seed-nodes"));
    assertEquals(0, c.getInt("lorafleet.http.port"));
    assertEquals(List.of("ingress"), c.getStringList("pekko.cluster.roles"));
    assertEquals("keep-majority", c.getString("pekko.cluster.split-brain-resolver.active-strategy"));
    assertEquals(profile("local-3.conf").toAbsolutePath().normalize().toString(),
        c.getString("lorafleet.cluster.config-file"));
    FleetSettings.from(c);
  }

  @Test
  void everyProfileResolves() {
    for (String p : List.of("single.conf", "local-3.conf", "kubernetes.conf")) {
      Config c = parse("--cluster-config", profile(p).toString());
      FleetSettings f = FleetSettings.from(c);
      assertTrue(c.getStringList("pekko.cluster.roles").contains("gpu"), p);
      if (p.equals("kubernetes.conf")) {
        assertTrue(c.getBoolean("lorafleet.cluster.bootstrap"));
        assertEquals("kubernetes", f.provisioner());
        assertEquals("kubernetes-api",
            c.getString("pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method"));
        assertEquals("0.0.0.0", c.getString("lorafleet.http.host"));
      } else {
        assertEquals("127.0.0.1", c.getString("lorafleet.http.host"));
      }
    }
  }

  @Test
  void quantizeFlagOverridesTheHoconSettingWhichDefaultsToNone() {
    assertEquals("none", parse().getString("lorafleet.engine.quantize"));
    assertEquals("int8", parse("--quantize", "int8").getString("lorafleet.engine.quantize"));
    assertEquals("none", parse("--quantize", "NONE").getString("lorafleet.engine.quantize"));
    assertTrue(assertThrows(CliInputException.class, () -> parse("--quantize", "int4"))
        .getMessage().contains("--quantize int4"));
  }

  @Test
  void badFlagsAreRefusedWithTheirName() {
    assertTrue(assertThrows(CliInputException.class, () -> parse("--seed-nodes", "nohostport"))
        .getMessage().contains("--seed-nodes"));
    assertTrue(assertThrows(CliInputException.class, () -> parse("--cluster-config", "/nonexistent.conf"))
        .getMessage().contains("--cluster-config"));
  }

  @Test
  void apiKeysFileTurnsKeysOnAndKeysAreOffByDefault(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path keys = dir.resolve("keys.txt");
    java.nio.file.Files.writeString(keys, "acme ci a-key-of-at-least-16-chars\n");
    Config on = parse("--api-keys-file", keys.toString());
    assertTrue(on.getBoolean("lorafleet.tenants.api-keys"));
    io.lorafleet.actors.tenants.TenantSettings t = io.lorafleet.actors.tenants.TenantSettings.from(on);
    assertEquals(1, t.keys().size());
    assertEquals("acme", t.keys().get(0).tenant());
    assertTrue(!parse().getBoolean("lorafleet.tenants.api-keys"), "off by default");
    assertTrue(assertThrows(CliInputException.class, () -> parse("--api-keys-file", dir.resolve("none").toString()))
        .getMessage().contains("--api-keys-file"));
  }
}
