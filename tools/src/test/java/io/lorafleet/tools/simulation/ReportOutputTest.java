package io.lorafleet.tools.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafleet.runtime.cli.LoraFleetCli;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The {@code simulate} command: registered, its table, its JSON keys and its PNG. */
class ReportOutputTest {
  @TempDir
  Path dir;

  @Test
  void theCommandPrintsTheTableAndWritesJsonAndPng() throws Exception {
    Path json = dir.resolve("out/report.json");
    Path png = dir.resolve("out/report.png");
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    int code;
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      code = LoraFleetCli.execute("simulate", "--nodes", "20", "--adapters", "2000", "--rate", "280", "--duration",
          "40", "--warmup", "10", "--seed", "3", "--json", json.toString(), "--png", png.toString());
    } finally {
      System.setOut(stdout);
    }
    String table = captured.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, table);
    assertTrue(table.contains("LoraFleet") && table.contains("consistent hashing"), table);
    for (String row : List.of("GPU-resident hit rate", "max/mean node load (run)", "adapter transfer volume",
        "queueing delay p50 (ms)", "queueing delay p99 (ms)", "throughput (req/s)", "dropped (refused + timed out)")) {
      assertTrue(table.contains(row), row + " missing in\n" + table);
    }
    assertTrue(table.contains(">= 95 %") && table.contains("<= 1.25"), table);

    JsonNode root = new ObjectMapper().readTree(json.toFile());
    assertEquals(Set.of("config", "trace", "policies", "targets", "wallSeconds", "cpuSeconds", "machine"),
        names(root));
    assertEquals(Set.of("nodes", "seed", "windowSeconds", "workload", "node", "lorafleet"), names(root.get("config")));
    assertEquals(Set.of("requests", "offeredPerSecond", "meanStepsPerRequest", "meanAdapterBytes",
        "fleetCapacityPerSecond", "bursts"), names(root.get("trace")));
    assertEquals(2, root.get("policies").size());
    for (JsonNode p : root.get("policies")) {
      assertEquals(Set.of("policy", "requests", "served", "rejected", "timedOut", "throughputPerSecond", "hitRate",
          "maxMeanLoad", "worstWindowMaxMeanLoad", "maxMeanServed", "transferBytes", "deviceLoads",
          "queueDelayP50Ms", "queueDelayP99Ms", "queueDelayMeanMs", "queueDelayMaxMs", "extras", "accounting",
          "routedPerNode", "series"), names(p));
      assertEquals(Set.of("arrived", "served", "rejected", "timedOut", "unfinished"), names(p.get("accounting")));
      assertEquals(Set.of("startSeconds", "warmup", "hitRate", "maxMeanLoad", "servedPerSecond", "droppedPerSecond"),
          names(p.get("series").get(0)));
      assertEquals(20, p.get("routedPerNode").size());
      assertEquals(4, p.get("series").size(), "40 s in 10 s windows");
    }
    assertEquals("LoraFleet", root.get("policies").get(0).get("policy").asText());
    assertEquals(0.95, root.get("targets").get("hitRate").asDouble());
    assertEquals(1.25, root.get("targets").get("maxMeanLoad").asDouble());

    BufferedImage image = ImageIO.read(png.toFile());
    assertNotNull(image, "a PNG ImageIO can read");
    assertEquals(1200, image.getWidth());
    assertTrue(image.getHeight() > 1000);
    // both policies' line colours are drawn
    assertTrue(hasColour(image, 0x1f77b4) && hasColour(image, 0xd62728));
  }

  @Test
  void badFlagsAreRefusedWithAMessage() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CommandLine cli = LoraFleetCli.commandLine();
    cli.getSubcommands().get("simulate").setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
    assertEquals(LoraFleetCli.EXIT_BAD_INPUT, cli.execute("simulate", "--nodes", "0"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("invalid simulation"), err.toString());
  }

  @Test
  void theCommandDefaultsAreTheSimulatorDefaults() {
    SimulateCommand command = new SimulateCommand();
    new CommandLine(command).parseArgs();
    assertEquals(SimulationConfig.defaults(), command.config());
    assertEquals(LoraFleetPlacement.Settings.shipped(), SimulationConfig.defaults().lorafleet());
    SimulateCommand flags = new SimulateCommand();
    new CommandLine(flags).parseArgs("--room-pressure", "1.5");
    assertEquals(1.5, flags.config().lorafleet().routing().roomPressure());
    assertEquals(LoraFleetPlacement.Settings.shipped().replication(), flags.config().lorafleet().replication());
  }

  @Test
  void aClusterProfileGivesThePoliciesAServeNodeWouldRun() throws Exception {
    Path profile = dir.resolve("fleet.conf");
    Files.writeString(profile, """
        lorafleet.cluster {
          routing.room-pressure = 1.25
          announce-interval = 250ms
          supervisor.replication { rate-per-replica = 7, max-replicas = 40 }
        }
        """);
    SimulateCommand command = new SimulateCommand();
    new CommandLine(command).parseArgs("--cluster-config", profile.toString());
    LoraFleetPlacement.Settings s = command.config().lorafleet();
    assertEquals(1.25, s.routing().roomPressure());
    assertEquals(0.25, s.announceSeconds());
    assertEquals(7, s.replication().ratePerReplica());
    assertEquals(40, s.replication().maxReplicas());
    assertEquals(LoraFleetPlacement.Settings.shipped().routing().loadingPenalty(), s.routing().loadingPenalty());

    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CommandLine cli = LoraFleetCli.commandLine();
    cli.getSubcommands().get("simulate").setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
    assertEquals(LoraFleetCli.EXIT_BAD_INPUT, cli.execute("simulate", "--cluster-config", dir.resolve("none.conf").toString()));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("none.conf: file not found"), err.toString());
  }

  private static Set<String> names(JsonNode node) {
    Set<String> out = new TreeSet<>();
    node.fieldNames().forEachRemaining(out::add);
    return out;
  }

  private static boolean hasColour(BufferedImage image, int rgb) {
    for (int y = 0; y < image.getHeight(); y += 1) {
      for (int x = 0; x < image.getWidth(); x += 1) {
        if ((image.getRGB(x, y) & 0xFFFFFF) == rgb) {
          return true;
        }
      }
    }
    return false;
  }

  @Test
  void theChartIsWrittenWhereAsked() throws Exception {
    SimulationReport r = Simulator.run(SimulatorTest.small(1.1, 5));
    Path file = dir.resolve("chart.png");
    SimulationChart.write(r, file);
    assertTrue(Files.size(file) > 10_000);
    assertNotNull(ImageIO.read(file.toFile()));
  }
}
