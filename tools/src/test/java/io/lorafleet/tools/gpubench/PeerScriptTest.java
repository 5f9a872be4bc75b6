package io.lorafleet.tools.gpubench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What can be checked of ops/gpu without a GPU: the peer's unit tests (its torch-free parts), that the peer
 * script compiles, that the shell scripts parse, and that the peer's result document is exactly the Java
 * side's schema (parsed strictly, same keys both ways). Skipped where python3 is missing.
 */
class PeerScriptTest {
  static Path root() {
    String r = System.getProperty("lorafleet.root");
    Path p = r != null ? Path.of(r) : Path.of("..");
    return p.toAbsolutePath().normalize();
  }

  static Path gpuDir() {
    return root().resolve("ops").resolve("gpu");
  }

  static boolean has(String tool) {
    try {
      return run(List.of(tool, "--version")).exit == 0;
    } catch (IOException e) {
      return false;
    }
  }

  record Outcome(int exit, String output) {}

  static Outcome run(List<String> command) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).directory(root().toFile());
    pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    Process p = pb.start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Outcome(-1, out + "\n(timed out)");
      }
      return new Outcome(p.exitValue(), out);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  /** A peer result with made-up figures, written by the peer's own code (python3), into {@code file}. */
  static void samplePeer(Path file) throws IOException {
    assumeTrue(has("python3"), "python3 not found");
    Outcome o = run(List.of("python3", gpuDir().resolve("peer_figures.py").toString(), "--sample-json",
        file.toString()));
    assertEquals(0, o.exit(), o.output());
  }

  @Test
  void peerUnitTestsPass() throws IOException {
    assumeTrue(has("python3"), "python3 not found");
    Outcome o = run(List.of("python3", "-m", "unittest", "discover", "-s", gpuDir().toString(), "-p", "test_*.py"));
    assertEquals(0, o.exit(), o.output());
  }

  @Test
  void peerScriptCompiles() throws IOException {
    assumeTrue(has("python3"), "python3 not found");
    for (String f : List.of("peft_peer.py", "peer_figures.py", "test_peer_figures.py")) {
      Outcome o = run(List.of("python3", "-c", "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], 'exec')",
          gpuDir().resolve(f).toString()));
      assertEquals(0, o.exit(), f + ": " + o.output());
    }
  }

  @Test
  void shellScriptsParse() throws IOException {
    assumeTrue(has("bash"), "bash not found");
    for (String f : List.of("bench", "bundle.sh", "bundle-env.sh", "run-gpu-tests.sh")) {
      Outcome o = run(List.of("bash", "-n", gpuDir().resolve(f).toString()));
      assertEquals(0, o.exit(), f + ": " + o.output());
    }
  }

  @Test
  void peerDocumentIsTheJavaSchema(@TempDir Path dir) throws IOException {
    Path sample = dir.resolve("peer.json");
    samplePeer(sample);
    ObjectMapper strict = SystemResult.JSON.copy().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    SystemResult peer = strict.readValue(sample.toFile(), SystemResult.class);
    assertEquals("peft", peer.system());
    JsonNode python = SystemResult.JSON.readTree(sample.toFile());
    JsonNode java = SystemResult.JSON.valueToTree(peer);
    assertEquals(keys(java, ""), keys(python, ""), "the same keys at every level");
  }

  /** Every key path of the objects in {@code n} (array elements as []), free-form maps left out. */
  private static Set<String> keys(JsonNode n, String prefix) {
    Set<String> out = new TreeSet<>();
    if (n.isObject()) {
      for (Map.Entry<String, JsonNode> e : n.properties()) {
        String path = prefix + "/" + e.getKey();
        out.add(path);
        if (!Set.of("/environment", "/profile").contains(path)) {
          out.addAll(keys(e.getValue(), path));
        }
      }
    } else if (n.isArray()) {
      List<Set<String>> each = new ArrayList<>();
      n.forEach(x -> each.add(keys(x, prefix + "[]")));
      each.forEach(out::addAll);
    }
    return out;
  }
}
