package io.lorafleet.ops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Paths of the repository the tests check (ops/, cluster-config/, the launcher) and their scratch space. */
final class Repo {
  private Repo() {}

  /** The repository root: {@code lorafleet.repo} (set by Maven), else the nearest parent holding ops/. */
  static Path root() {
    String p = System.getProperty("lorafleet.repo");
    Path dir = p != null ? Path.of(p) : Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("ops").resolve("helm"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("no repository root with ops/helm above " + Path.of("").toAbsolutePath());
    }
    return dir.toAbsolutePath().normalize();
  }

  static Path path(String relative) {
    return root().resolve(relative);
  }

  static String read(String relative) {
    try {
      return Files.readString(path(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A fresh scratch directory under {@code lorafleet.work} (target/ops-work) or the temp directory. */
  static Path scratch(String name) throws IOException {
    String w = System.getProperty("lorafleet.work");
    Path base = w != null ? Path.of(w) : Path.of(System.getProperty("java.io.tmpdir"), "lorafleet-ops-work");
    Files.createDirectories(base);
    return Files.createTempDirectory(base, name + "-");
  }
}
