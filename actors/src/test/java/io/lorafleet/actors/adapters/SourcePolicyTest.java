package io.lorafleet.actors.adapters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.errors.InvalidRequestException;
import io.lorafleet.runtime.errors.NotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SourcePolicyTest {
  @TempDir
  Path tmp;

  private SourcePolicy policy(Path root) {
    return new SourcePolicy(List.of(root), List.of("https://adapters.example.com/lora/", "http://127.0.0.1:9000"));
  }

  @Test
  void acceptsDirectoriesUnderARootInEveryForm() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root"));
    Path a = Files.createDirectories(root.resolve("a"));
    SourcePolicy p = policy(root);
    String real = a.toRealPath().toString();
    assertEquals(real, p.check(a.toString(), null).location());
    assertEquals(real, p.check("file:" + a, null).location());
    assertEquals(real, p.check("file://" + a, null).location());
    assertEquals(real, p.check("a", "local").location());
    assertEquals("file:" + real, p.check(a.toString(), null).spec());
  }

  @Test
  void refusesPathTraversalAndSymlinkEscapes() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root"));
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Files.createSymbolicLink(root.resolve("link"), outside);
    SourcePolicy p = policy(root);
    var e1 = assertThrows(AdapterSourceException.class, () -> p.check(root + "/../outside", null));
    assertTrue(e1.getMessage().contains("outside the configured adapter roots"), e1.getMessage());
    assertThrows(AdapterSourceException.class, () -> p.check("../outside", "local"));
    var e2 = assertThrows(AdapterSourceException.class, () -> p.check(root.resolve("link").toString(), null));
    assertTrue(e2.getMessage().contains("symbolic link"), e2.getMessage());
    assertThrows(AdapterSourceException.class, () -> p.check("/etc", null));
    assertThrows(NotFoundException.class, () -> p.check(root.resolve("missing").toString(), null));
  }

  @Test
  void urlsMustMatchTheAllowListAfterNormalization() {
    SourcePolicy p = policy(tmp);
    assertEquals("https://adapters.example.com:443/lora/x", p.check("https://Adapters.example.com/lora/x/", null).location());
    assertEquals("http://127.0.0.1:9000/any/thing", p.check("http://127.0.0.1:9000/any/thing", null).location());
    for (String bad : List.of(
        "https://adapters.example.com/lorax/x",           // not on a segment boundary
        "https://adapters.example.com/lora/../secret",    // dot segments escape the prefix
        "https://adapters.example.com/lora/%2e%2e/secret", // encoded dots
        "https://user@adapters.example.com/lora/x",        // user info
        "https://adapters.example.com.evil.org/lora/x",    // other host
        "http://adapters.example.com/lora/x",              // other scheme / port
        "http://127.0.0.1:9001/x",
        "http://169.254.169.254/latest/meta-data",
        "https://adapters.example.com/lora/x?redirect=http://10.0.0.1")) {
      assertThrows(AdapterSourceException.class, () -> p.check(bad, null), bad);
    }
  }

  @Test
  void hubIdsGetAClearError() {
    SourcePolicy p = policy(tmp);
    var e = assertThrows(AdapterSourceException.class, () -> p.check("predibase/customer_support", null));
    assertEquals("adapter_source_unavailable", e.errorType());
    assertTrue(e.getMessage().contains("hub is not reachable"), e.getMessage());
    assertThrows(AdapterSourceException.class, () -> p.check("x", "s3"));
    assertThrows(InvalidRequestException.class, () -> p.check("plain-name", null));
  }
}
