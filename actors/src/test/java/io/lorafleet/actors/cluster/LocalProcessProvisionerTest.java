package io.lorafleet.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The local-process provisioner adopting nodes an earlier supervisor started on this machine. */
class LocalProcessProvisionerTest {
  private static final String MAIN = "io.lorafleet.runtime.cli.LoraFleetCli";

  @Test
  void recognisesServeCommandLinesByArteryPort() {
    assertTrue(LocalProcessProvisioner.isServeWithPort(
        List.of("-cp", "x.jar", MAIN, "serve", "--cluster-config", "c.conf", "--remote-port", "25601"), "25601"));
    assertFalse(LocalProcessProvisioner.isServeWithPort(
        List.of("-cp", "x.jar", MAIN, "serve", "--remote-port", "25601"), "25602"));
    assertFalse(LocalProcessProvisioner.isServeWithPort(
        List.of("-cp", "x.jar", MAIN, "generate", "--remote-port", "25601"), "25601"), "not serve");
    assertFalse(LocalProcessProvisioner.isServeWithPort(
        List.of("-cp", "x.jar", "other.Main", "serve", "--remote-port", "25601"), "25601"), "not LoraFleet");
  }

  @Test
  void aNodeStartedByAnEarlierSupervisorIsAdoptedAndRemoved() throws Exception {
    // A process whose command line is a node's (sh keeps its arguments; the trailing `true` stops it from
    // exec-ing sleep in its place): it never drains, so removal must end in a kill.
    Process node = new ProcessBuilder("sh", "-c", "sleep 120; true", MAIN, "serve", "--remote-port", "45871").start();
    var blocking = Executors.newSingleThreadExecutor();
    LocalProcessProvisioner p = new LocalProcessProvisioner(ConfigFactory.load(), "127.0.0.1", "127.0.0.1:1",
        blocking, Duration.ofMillis(500));
    try {
      String address = "pekko://lorafleet@127.0.0.1:45871";
      assertTrue(p.canRemove(address), "the running node is adopted");
      assertFalse(p.canRemove("pekko://lorafleet@127.0.0.1:45872"), "no node with that port");
      assertFalse(p.canRemove("pekko://lorafleet@10.1.2.3:45871"), "not this machine's address");
      String result = p.removeNode(address).toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertTrue(result.contains("started by an earlier supervisor") && result.contains("exited"), result);
      assertTrue(node.waitFor(10, TimeUnit.SECONDS), "the node's process is gone");
      assertFalse(p.canRemove(address));
    } finally {
      node.destroyForcibly();
      p.close();
      blocking.shutdownNow();
    }
  }
}
