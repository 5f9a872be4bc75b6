package io.lorafleet.multinode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Throwaway key material for the fleets' cluster transport (Artery TLS with mutual authentication), made
 * at test time by the repository's own {@code ops/tls/fleet-certs.sh} (the JDK's keytool): a fleet CA and
 * a node key store signed by it, once per test JVM and shared by every fleet; and, for tests of refusal, a
 * stranger's set from a CA of its own.
 */
final class FleetCertificates {
  /** A directory with node.p12, trust.p12 and the password they open with. */
  record Stores(Path dir, String password) {
    /** The profile lines that point a node at these stores. */
    String profile() {
      return "lorafleet.tls.dir = \"" + dir + "\"\nlorafleet.tls.password = \"" + password + "\"\n";
    }
  }

  private static Stores fleet;

  private FleetCertificates() {}

  /** The fleet's stores (made on first use). */
  static synchronized Stores fleet() {
    if (fleet == null) {
      fleet = make(Path.of(System.getProperty("lorafleet.work", "target/fleet-work")).resolve("tls/fleet"));
    }
    return fleet;
  }

  /** Makes a fresh set in {@code dir} (its own CA). */
  static Stores make(Path dir) {
    try {
      Path abs = dir.toAbsolutePath().normalize();
      if (Files.exists(abs)) {
        try (var files = Files.list(abs)) {
          for (Path p : files.toList()) {
            Files.delete(p);
          }
        }
      }
      Path script = Path.of(System.getProperty("lorafleet.repo", "..")).resolve("ops/tls/fleet-certs.sh")
          .toAbsolutePath().normalize();
      ProcessBuilder pb = new ProcessBuilder(List.of("bash", script.toString(), abs.toString(), "2"))
          .redirectErrorStream(true);
      pb.environment().put("KEYTOOL", Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
      pb.environment().remove("LORAFLEET_TLS_PASSWORD");
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("fleet-certs.sh failed:\n" + out);
      }
      return new Stores(abs, Files.readString(abs.resolve("password")).strip());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Adds the fleet CA's certificate to {@code stores}' trust store (a stranger that trusts the fleet). */
  static void trustFleet(Stores stores) {
    try {
      Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
          "-importcert", "-alias", "the-fleet", "-noprompt", "-file", fleet().dir().resolve("ca.pem").toString(),
          "-keystore", stores.dir().resolve("trust.p12").toString(), "-storetype", "PKCS12",
          "-storepass", stores.password()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("keytool -importcert failed:\n" + out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
