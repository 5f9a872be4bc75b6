package io.lorafleet.multinode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** One node JVM: {@code lorafleet serve} with the built class path, its output in a log file. */
final class NodeProcess {
  final String name;
  final int remotePort;
  final int httpPort;
  final Path log;
  private final Process process;

  private NodeProcess(String name, int remotePort, int httpPort, Path log, Process process) {
    this.name = name;
    this.remotePort = remotePort;
    this.httpPort = httpPort;
    this.log = log;
    this.process = process;
  }

  /**
   * @param seeds      {@code host:port} of the seed nodes (may be this node's own)
   * @param extraArgs  more serve arguments
   */
  static NodeProcess start(String name, Path profile, int remotePort, int httpPort, String seeds, Path token,
      Path logDir, List<String> extraArgs) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=4", "-Dai.djl.offline=true",
        "-Dlorafleet.exit-with-pid=" + ProcessHandle.current().pid(), "-cp", Fleet.classPath(),
        "io.lorafleet.runtime.cli.LoraFleetCli", "serve",
        "--cluster-config", profile.toString(),
        "--remote-port", Integer.toString(remotePort),
        "--seed-nodes", seeds,
        "--port", Integer.toString(httpPort),
        "--admin-token-file", token.toString(),
        "--model", Fleet.fixtures().resolve("model").toString(),
        "--adapters", Fleet.fixtures().resolve("adapters").toString(),
        "--backend", "cpu", "--threads", "1", "--kv-cache-mb", "16"));
    if (!extraArgs.contains("--max-num-seqs")) {
      cmd.addAll(List.of("--max-num-seqs", "16"));
    }
    cmd.addAll(extraArgs);
    try {
      Files.createDirectories(logDir);
      Path log = logDir.resolve(name + ".log");
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      pb.environment().put("OPT_OUT_TRACKING", "true");
      pb.environment().put("DJL_CACHE_DIR", logDir.getParent().resolve("djl-cache").toString());
      return new NodeProcess(name, remotePort, httpPort, log, pb.start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String url() {
    return "http://127.0.0.1:" + httpPort;
  }

  /** The node's cluster address. */
  String address() {
    return "pekko://lorafleet@127.0.0.1:" + remotePort;
  }

  boolean alive() {
    return process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  /** kill -9 (SIGKILL) of the node JVM. */
  void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** SIGTERM: the node leaves the cluster gracefully and exits; waits for that. */
  boolean stop(long seconds) throws InterruptedException {
    process.destroy();
    return process.waitFor(seconds, TimeUnit.SECONDS);
  }

  /** Waits for the process to exit by itself. */
  boolean awaitExit(long seconds) throws InterruptedException {
    return process.waitFor(seconds, TimeUnit.SECONDS);
  }

  /** Kills the node and every process it started (nodes of a local provisioner). */
  void killTree() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  /** Node JVMs it started that are alive now (other helper processes are not counted). */
  List<ProcessHandle> children() {
    return process.children().filter(ProcessHandle::isAlive)
        .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false)).toList();
  }

  String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
