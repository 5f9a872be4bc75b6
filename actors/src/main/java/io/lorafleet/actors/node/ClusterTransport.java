package io.lorafleet.actors.node;

import com.typesafe.config.Config;
import io.lorafleet.runtime.cli.CliInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;

/**
 * Checks the cluster transport's key material before the actor system starts: with Artery's {@code tls-tcp}
 * transport (the fleet profiles) the node's key store and the fleet's trust store must exist and open with
 * the configured password, and the key store must hold a private key. Pekko would otherwise fail later
 * with a message that names neither the file nor the remedy.
 */
final class ClusterTransport {
  private static final String SSL = "pekko.remote.artery.ssl.config-ssl-engine.";
  private static final String REMEDY = "make the fleet's certificates with ops/tls/fleet-certs.sh DIR and set "
      + "LORAFLEET_TLS_DIR=DIR and LORAFLEET_TLS_PASSWORD (README, Security: Cluster transport)";

  private ClusterTransport() {}

  /** @throws CliInputException naming the file and the problem when TLS is on and its stores are unusable */
  static void check(Config config) {
    if (!"tls-tcp".equals(config.getString("pekko.remote.artery.transport"))) {
      return;
    }
    String provider = config.getString("pekko.remote.artery.ssl.ssl-engine-provider");
    if (!provider.endsWith("ConfigSSLEngineProvider")) {
      return; // another provider checks its own material
    }
    KeyStore keys = open(config.getString(SSL + "key-store"), config.getString(SSL + "key-store-password"), "key store");
    KeyStore trust = open(config.getString(SSL + "trust-store"), config.getString(SSL + "trust-store-password"),
        "trust store");
    try {
      boolean hasKey = false;
      for (String alias : java.util.Collections.list(keys.aliases())) {
        hasKey |= keys.isKeyEntry(alias);
      }
      if (!hasKey) {
        throw new CliInputException("cluster TLS key store " + config.getString(SSL + "key-store")
            + ": holds no private key; " + REMEDY);
      }
      if (trust.size() == 0) {
        throw new CliInputException("cluster TLS trust store " + config.getString(SSL + "trust-store")
            + ": holds no certificate; " + REMEDY);
      }
    } catch (GeneralSecurityException e) {
      throw new CliInputException("cluster TLS key material: " + e.getMessage() + "; " + REMEDY);
    }
  }

  private static KeyStore open(String file, String password, String what) {
    Path path = Path.of(file);
    if (!Files.isRegularFile(path)) {
      throw new CliInputException("cluster transport is TLS but its " + what + " " + file + " does not exist; "
          + REMEDY);
    }
    if (password.isEmpty()) {
      throw new CliInputException("cluster TLS " + what + " " + file + ": no password configured; " + REMEDY);
    }
    try (InputStream in = Files.newInputStream(path)) {
      KeyStore ks = KeyStore.getInstance(path.getFileName().toString().endsWith(".jks") ? "JKS" : "PKCS12");
      ks.load(in, password.toCharArray());
      return ks;
    } catch (IOException | GeneralSecurityException e) {
      throw new CliInputException("cluster TLS " + what + " " + file + ": cannot open it (" + e.getMessage()
          + "): wrong password or not a PKCS#12 store; " + REMEDY);
    }
  }
}
