package io.lorafleet.actors.adapters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterDigestTest {
  private static final Path FIXTURES = Path.of("..", "fixtures", "adapters");

  @Test
  void sameBytesSameDigestAnywhereAndAnyChangeChangesIt(@TempDir Path tmp) throws IOException {
    Path original = FIXTURES.resolve("adapter-qv-r8");
    Path copy = Files.createDirectories(tmp.resolve("copy"));
    for (String name : AdapterDigest.FILES) {
      Files.copy(original.resolve(name), copy.resolve(name));
    }
    String digest = AdapterDigest.of(original);
    assertTrue(AdapterDigest.isWellFormed(digest), digest);
    assertEquals(digest, AdapterDigest.of(copy));
    assertNotEquals(digest, AdapterDigest.of(FIXTURES.resolve("adapter-all-r16")));

    byte[] weights = Files.readAllBytes(copy.resolve("adapter_model.safetensors"));
    weights[weights.length - 1] ^= 1;
    Files.write(copy.resolve("adapter_model.safetensors"), weights);
    assertNotEquals(digest, AdapterDigest.of(copy));
  }

  @Test
  void missingFileFails(@TempDir Path tmp) throws IOException {
    Files.writeString(tmp.resolve("adapter_config.json"), "{}");
    assertThrows(IOException.class, () -> AdapterDigest.of(tmp));
  }

  @Test
  void wellFormedness() {
    assertTrue(AdapterDigest.isWellFormed("sha256:" + "0a".repeat(32)));
    assertFalse(AdapterDigest.isWellFormed("sha256:" + "0A".repeat(32)));
    assertFalse(AdapterDigest.isWellFormed("sha256:abc"));
    assertFalse(AdapterDigest.isWellFormed("md5:" + "0a".repeat(32)));
    assertFalse(AdapterDigest.isWellFormed(null));
  }
}
