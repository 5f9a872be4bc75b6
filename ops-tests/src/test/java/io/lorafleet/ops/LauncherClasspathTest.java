package io.lorafleet.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README's {@code ./lorafleet} serves from the modules' main jars and their libraries: never from a test
 * jar (the runtime's test jar carries a logback-test.xml that would silence the INFO logs of every node).
 */
class LauncherClasspathTest {
  @Test
  void theServingClasspathHasNoTestJars() throws IOException, InterruptedException {
    Path runtimeTarget = Repo.path("runtime/target");
    List<Path> testJars;
    try (Stream<Path> s = Files.isDirectory(runtimeTarget) ? Files.list(runtimeTarget) : Stream.empty()) {
      testJars = s.filter(p -> p.getFileName().toString().endsWith("-tests.jar")).toList();
    }
    assumeTrue(!testJars.isEmpty(), "no runtime test jar built: nothing the launcher could pick up");
    ProcessBuilder pb = new ProcessBuilder("bash", Repo.path("lorafleet").toString()).redirectErrorStream(true);
    pb.environment().put("LORAFLEET_SKIP_BUILD", "1");
    pb.environment().put("LORAFLEET_PRINT_CLASSPATH", "1");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    List<String> entries = out.lines().filter(l -> !l.isBlank()).toList();
    assertTrue(entries.stream().anyMatch(e -> e.endsWith("lorafleet-runtime-0.1.0-SNAPSHOT.jar")), out);
    for (String e : entries) {
      assertTrue(!e.endsWith("-tests.jar"), "test jar on the serving classpath: " + e);
    }
  }
}
