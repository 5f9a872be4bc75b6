package io.lorafleet.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * ops/docker: build-context.sh run over the packaged modules (no Docker here), and the Dockerfile checked
 * against what it produced: every COPY/ADD source exists in the context, the class path argument file
 * names exactly the jars there, the JRE's module list is valid, and the entrypoint is the launcher's
 * command line (same main class, same JVM flags and environment).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DockerContextTest {
  private Path context;
  private Dockerfile dockerfile;
  private String home;

  @BeforeAll
  void buildContext() throws IOException, InterruptedException {
    context = Repo.scratch("docker-context").resolve("context");
    Path log = context.resolveSibling("build-context.log");
    Process p = new ProcessBuilder("bash", Repo.path("ops/docker/build-context.sh").toString(), "--no-build",
        context.toString()).directory(Repo.root().toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(10, TimeUnit.MINUTES), "build-context.sh did not finish in 10 minutes");
    assertEquals(0, p.exitValue(), () -> "build-context.sh failed:\n" + read(log));
    dockerfile = Dockerfile.parse(Repo.path("ops/docker/Dockerfile"));
    home = dockerfile.env().get("LORAFLEET_HOME");
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "(" + e + ")";
    }
  }

  @Test
  void everyCopySourceIsInTheContext() throws IOException {
    List<Dockerfile.Instruction> copies = new ArrayList<>(dockerfile.all("COPY"));
    copies.addAll(dockerfile.all("ADD"));
    int fromContext = 0;
    for (Dockerfile.Instruction c : copies) {
      if (c.flags().containsKey("from")) {
        continue; // from another build stage
      }
      for (String source : c.sources()) {
        assertFalse(source.contains("..") || source.startsWith("/"), () -> "line " + c.line() + ": " + source + " leaves the context");
        Path p = context.resolve(source);
        assertTrue(Files.exists(p), () -> "line " + c.line() + ": COPY " + source + " is not in the context " + context);
        if (source.endsWith("/")) {
          try (Stream<Path> s = Files.list(p)) {
            assertTrue(s.findAny().isPresent(), () -> source + " is empty in the context");
          }
        }
        fromContext++;
      }
    }
    assertTrue(fromContext >= 6, "the Dockerfile copies the jars, class path, cluster-config, models, fixtures");
    assertEquals(Files.readString(Repo.path("ops/docker/Dockerfile")), Files.readString(context.resolve("Dockerfile")),
        "the context carries the Dockerfile (docker build DIR)");
    assertTrue(Files.isRegularFile(context.resolve("cluster-config/kubernetes.conf")));
    assertTrue(Files.isRegularFile(context.resolve("models/demo/lorafleet-demo/config.json")));
    assertTrue(Files.isRegularFile(context.resolve("models/demo/lorafleet-demo/model.safetensors")));
    try (Stream<Path> s = Files.list(context.resolve("models/demo/adapters"))) {
      assertTrue(s.filter(Files::isDirectory).count() >= 6, "the demo's task adapters");
    }
    assertTrue(Files.isRegularFile(context.resolve("fixtures/model/config.json")));
    assertTrue(Files.isRegularFile(context.resolve("fixtures/reference.json")));
    try (Stream<Path> s = Files.list(context.resolve("fixtures/adapters"))) {
      assertEquals(8, s.filter(Files::isDirectory).count(), "the 8 bundled adapters");
    }
  }

  @Test
  void classPathNamesExactlyTheJarsOfTheContext() throws IOException {
    assertTrue(home != null && home.startsWith("/"), "LORAFLEET_HOME is an absolute path: " + home);
    String args = Files.readString(context.resolve("classpath.args")).strip();
    assertTrue(args.startsWith("-cp "), args);
    List<String> entries = Arrays.asList(args.substring(4).split(":"));
    Set<String> listed = new TreeSet<>();
    for (String e : entries) {
      assertTrue(e.startsWith(home + "/lib/"), () -> e + " is not under " + home + "/lib");
      listed.add(e.substring((home + "/lib/").length()));
    }
    Set<String> jars;
    try (Stream<Path> s = Files.list(context.resolve("lib"))) {
      jars = s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
    }
    assertEquals(jars, listed);
    assertEquals(entries.size(), listed.size(), "no jar twice");
    // The server's modules first, as the launcher orders them; no test jars.
    assertEquals(List.of("lorafleet-runtime", "lorafleet-cuda", "lorafleet-actors"),
        entries.subList(0, 3).stream().map(e -> e.replaceAll(".*/(lorafleet-[a-z]+)-.*", "$1")).toList());
    assertTrue(jars.stream().noneMatch(j -> j.endsWith("-tests.jar")), jars::toString);
    assertTrue(jars.stream().anyMatch(j -> j.startsWith("jcuda-natives-")), "JCuda's driver binding");
    assertTrue(jars.stream().anyMatch(j -> j.startsWith("tokenizers-")), "DJL's tokenizers (with its native library)");
    // The COPY that puts them where the argument file says.
    assertTrue(dockerfile.all("COPY").stream().anyMatch(c -> c.sources().equals(List.of("lib/")) && c.destination().equals(home + "/lib/")));
    assertTrue(dockerfile.all("COPY").stream().anyMatch(c -> c.sources().contains("classpath.args") && c.destination().startsWith(home)));
  }

  @Test
  void theServerCarriesNoMeasuringTools() throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> s = Files.list(context.resolve("lib"))) {
      for (Path jar : s.toList()) {
        String name = jar.getFileName().toString();
        if (name.startsWith("lorafleet-tools") || name.startsWith("jfreechart-") || name.startsWith("HdrHistogram-")
            || name.startsWith("progressbar-")) {
          found.add(name);
        }
        if (name.startsWith("lorafleet-")) {
          try (ZipFile zip = new ZipFile(jar.toFile())) {
            zip.stream().map(ZipEntry::getName)
                .filter(e -> e.startsWith("io/lorafleet/tools/") || e.startsWith("io/lorafleet/bench/")
                    || e.matches("io/lorafleet/[a-z]+/(bench|loadtest|simulation)/.*"))
                .forEach(e -> found.add(name + "!" + e));
          }
        }
      }
    }
    assertEquals(List.of(), found, "the image's class path holds benchmark, load-test or simulator code (tools/)");
  }

  @Test
  void jreModulesExistAndCoverWhatTheServerLoadsByName() throws IOException {
    String list = Files.readString(context.resolve("jre-modules.txt")).strip();
    Set<String> modules = new TreeSet<>(Arrays.asList(list.split(",")));
    Set<String> system = ModuleFinder.ofSystem().findAll().stream().map(ModuleReference::descriptor)
        .map(d -> d.name()).collect(Collectors.toSet());
    for (String m : modules) {
      assertTrue(system.contains(m), () -> m + " is not a module of JDK " + Runtime.version() + " (jlink would fail)");
    }
    for (String needed : List.of("java.base", "jdk.incubator.vector", "jdk.zipfs", "java.management", "jdk.management",
        "jdk.unsupported", "java.net.http", "java.logging", "java.naming", "java.xml", "java.sql")) {
      assertTrue(modules.contains(needed) || implied(needed, modules), () -> needed + " is missing from " + modules);
    }
    String jlink = dockerfile.all("RUN").stream().map(Dockerfile.Instruction::arguments).filter(a -> a.contains("jlink"))
        .findFirst().orElseThrow(() -> new AssertionError("no jlink RUN"));
    assertTrue(jlink.contains("jre-modules.txt"), jlink);
  }

  /** Whether a module is required (transitively) by one of the listed ones, as jlink resolves them. */
  private static boolean implied(String module, Set<String> listed) {
    ModuleFinder system = ModuleFinder.ofSystem();
    Set<String> seen = new TreeSet<>();
    List<String> todo = new ArrayList<>(listed);
    while (!todo.isEmpty()) {
      String m = todo.removeLast();
      if (!seen.add(m)) {
        continue;
      }
      system.find(m).ifPresent(r -> r.descriptor().requires().forEach(q -> todo.add(q.name())));
    }
    return seen.contains(module);
  }

  /**
   * The entrypoint is ./lorafleet's exec line: the same JVM flags (lorafleet.home pointing at the image's
   * home) and main class, with the class path of the context; the launcher's environment is set too.
   */
  @Test
  void entrypointIsTheLaunchersCommandLine() {
    String launcher = Repo.read("lorafleet");
    Matcher exec = Pattern.compile("exec \"\\$JAVA\" (.*?)\\s+-cp \"\\$\\{CP#:}\" (\\S+) \"\\$@\"", Pattern.DOTALL).matcher(launcher);
    assertTrue(exec.find(), "the launcher's exec line");
    List<String> launcherFlags = Arrays.stream(exec.group(1).trim().split("\\s+"))
        .filter(f -> !f.equals("\\") && !f.startsWith("${LORAFLEET_JAVA_OPTS")).toList();
    String mainClass = exec.group(2);

    List<String> entrypoint = dockerfile.last("ENTRYPOINT").exec();
    assertEquals("/opt/jre/bin/java", entrypoint.getFirst());
    assertEquals(mainClass, entrypoint.getLast());
    assertEquals("@" + home + "/classpath.args", entrypoint.get(entrypoint.size() - 2));
    List<String> imageFlags = entrypoint.subList(1, entrypoint.size() - 2);
    List<String> expected = launcherFlags.stream()
        .map(f -> f.startsWith("-Dlorafleet.home=") ? "-Dlorafleet.home=" + home : f).toList();
    assertEquals(expected, imageFlags);
    assertTrue(dockerfile.all("COPY").stream().anyMatch(c -> c.sources().equals(List.of("models/"))
        && c.destination().equals(home + "/models/")), "the bundled demo model under lorafleet.home");

    // The build-time check runs the same command line.
    List<String> check = dockerfile.all("RUN").stream().filter(Dockerfile.Instruction::execForm)
        .map(Dockerfile.Instruction::exec).filter(r -> r.contains(mainClass)).findFirst()
        .orElseThrow(() -> new AssertionError("no build-time run of " + mainClass));
    assertEquals(entrypoint, check.subList(0, entrypoint.size()));

    // The launcher's environment.
    Map<String, String> env = dockerfile.env();
    assertEquals("true", env.get("OPT_OUT_TRACKING"));
    assertTrue(launcher.contains("export OPT_OUT_TRACKING=true"));
    assertTrue(launcher.contains("DJL_CACHE_DIR"));
    assertTrue(env.containsKey("DJL_CACHE_DIR"));
    assertEquals(List.of("serve", "--host", "0.0.0.0", "--port", "8080"), dockerfile.last("CMD").exec());
  }

  @Test
  void imageRunsAsNonRootOnCudaWithTheNodesPorts() {
    List<Dockerfile.Instruction> froms = dockerfile.all("FROM");
    assertEquals(2, froms.size(), "a JRE stage and the node");
    Map<String, String> args = new java.util.HashMap<>();
    for (Dockerfile.Instruction a : dockerfile.all("ARG")) {
      String[] kv = a.arguments().split("=", 2);
      if (kv.length == 2) {
        args.put(kv[0], kv[1]);
      }
    }
    String jdk = args.getOrDefault(froms.get(0).words().getFirst().replaceAll("^\\$\\{(.*)}$", "$1"), froms.get(0).words().getFirst());
    String base = args.getOrDefault(froms.get(1).words().getFirst().replaceAll("^\\$\\{(.*)}$", "$1"), froms.get(1).words().getFirst());
    assertTrue(jdk.matches("eclipse-temurin:25-jdk.*"), jdk);
    assertTrue(base.matches("nvidia/cuda:13\\.[0-9.]+-runtime-ubuntu[0-9.]+"), base);

    String user = dockerfile.last("USER").arguments();
    assertNotEquals("root", user);
    assertNotEquals("0", user);

    Set<Integer> exposed = dockerfile.all("EXPOSE").stream().flatMap(e -> e.words().stream())
        .map(w -> Integer.parseInt(w.replace("/tcp", ""))).collect(Collectors.toSet());
    Config profile = ConfigFactory.parseFile(Repo.path("cluster-config/kubernetes.conf").toFile()).resolve();
    int http = ConfigFactory.load().getInt("lorafleet.http.port");
    assertEquals(Set.of(http, profile.getInt("pekko.remote.artery.canonical.port"), profile.getInt("pekko.management.http.port")), exposed);
    String health = dockerfile.last("HEALTHCHECK").arguments();
    assertTrue(health.contains("http://127.0.0.1:" + http + "/health"), health);
  }
}
