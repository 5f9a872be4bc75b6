package io.lorafleet.actors.tenants;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.lorafleet.actors.metrics.ServerMetrics;
import io.lorafleet.runtime.engine.PriorityClass;
import io.lorafleet.runtime.errors.InvalidRequestException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Quotas and settings without a node: buckets, shares over the live nodes, counters, and bad settings. */
class TenantQuotasTest {
  private static TenantSettings settings(String tenants) {
    return TenantSettings.from(ConfigFactory.parseString("lorafleet.tenants { " + tenants + " }")
        .withFallback(ConfigFactory.load()).resolve());
  }

  @Test
  void eachNodeEnforcesItsShareOfTheLimitOverTheLiveNodes() {
    TenantSettings s = settings("configured.a { max-concurrent = 5, requests-per-second = 30, burst-seconds = 1 }");
    AtomicInteger nodes = new AtomicInteger(3);
    TenantQuotas q = new TenantQuotas(s, nodes::get, new ServerMetrics());
    // max-concurrent 5 over 3 nodes: ceil(5/3) = 2 here.
    Admission a1 = q.admit("a", 10, 10, 16);
    Admission a2 = q.admit("a", 10, 10, 16);
    QuotaExceededException e = assertThrows(QuotaExceededException.class, () -> q.admit("a", 10, 10, 16));
    assertEquals("max_concurrent", e.limit());
    a1.release();
    a1.release(); // idempotent
    Admission a3 = q.admit("a", 10, 10, 16);
    assertEquals(2, q.usage("a").running());
    a2.release();
    a3.release();
    assertEquals(0, q.usage("a").running());
    // 30 requests/s over 3 nodes: a bucket of 10 here, 8 left after the 3 admissions above.
    int admitted = 0;
    try {
      for (int i = 0; i < 20; i++) {
        q.admit("a", 1, 1, 16).release();
        admitted++;
      }
    } catch (QuotaExceededException r) {
      assertEquals("requests_per_second", r.limit());
      assertTrue(r.retryAfterSeconds() >= 1);
    }
    assertTrue(admitted >= 7 && admitted <= 9, admitted + " admitted");
    // One node alone takes the whole limit.
    nodes.set(1);
    Admission[] held = new Admission[5];
    TenantQuotas alone = new TenantQuotas(s, nodes::get, new ServerMetrics());
    for (int i = 0; i < 5; i++) {
      held[i] = alone.admit("a", 1, 1, 16);
    }
    assertThrows(QuotaExceededException.class, () -> alone.admit("a", 1, 1, 16));
  }

  @Test
  void tokensAreChargedAfterTheFactAndKvBlocksAtTheMostARequestMayHold() {
    TenantSettings s = settings("configured.t { tokens-per-minute = 60, max-kv-blocks = 10 }");
    TenantQuotas q = new TenantQuotas(s, () -> 1, new ServerMetrics());
    Admission a = q.admit("t", 16, 48, 16); // 4 blocks
    assertEquals(4, q.usage("t").kvBlocks());
    Admission b = q.admit("t", 16, 80, 16); // 6 blocks: 10 in all
    assertEquals("max_kv_blocks", assertThrows(QuotaExceededException.class, () -> q.admit("t", 1, 1, 16)).limit());
    assertThrows(InvalidRequestException.class, () -> q.admit("t", 100, 100, 16), "can never fit");
    a.generated(100);
    a.generated(100); // once
    a.release();
    b.release();
    // 60 tokens a minute, 100 taken: 40 below zero, one token a second.
    QuotaExceededException e = assertThrows(QuotaExceededException.class, () -> q.admit("t", 1, 1, 16));
    assertEquals("tokens_per_minute", e.limit());
    assertTrue(e.retryAfterSeconds() >= 39 && e.retryAfterSeconds() <= 41, e.retryAfterSeconds() + " s");
    // Tenants without limits are never refused.
    for (int i = 0; i < 100; i++) {
      q.admit("someone-else", 1000, 1000, 16);
    }
  }

  @Test
  void settingsAreCheckedWithTheirNames(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> settings("configured.a { priority = urgent }"));
    assertTrue(e.getMessage().contains("urgent") && e.getMessage().contains("interactive"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> settings("configured.a { requests-per-second = -1 }"));
    assertTrue(e.getMessage().contains("tenant a"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> settings("configured.other {}"));
    assertTrue(e.getMessage().contains("other"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> settings("configured.a { keys = [{ id = x, key = short }] }"));
    assertTrue(e.getMessage().contains("at least 16"), e.getMessage());
    Path file = dir.resolve("keys");
    Files.writeString(file, "# comment\n\nacme k1 sha256:" + "ab".repeat(32) + "\nacme k2\n");
    e = assertThrows(IllegalArgumentException.class, () -> settings("keys-file = \"" + file + "\""));
    assertTrue(e.getMessage().contains("line 4"), e.getMessage());
    Files.writeString(file, "acme k1 a-long-enough-key-000\nbeta k1 another-long-key-0000\n");
    e = assertThrows(IllegalArgumentException.class, () -> settings("keys-file = \"" + file + "\""));
    assertTrue(e.getMessage().contains("configured twice"), e.getMessage());
    Files.writeString(file, "acme k1 a-long-enough-key-000\nbeta k2 sha256:" + ApiKeys.sha256Hex("another-long-key-0000")
        + "\n");
    TenantSettings ok = settings("api-keys = on, keys-file = \"" + file + "\", configured.acme { priority = batch }");
    KeyRing ring = new KeyRing(ok.keys());
    assertEquals("acme", ring.authenticate("a-long-enough-key-000").tenant());
    assertEquals("beta", ring.authenticate("another-long-key-0000").tenant());
    assertEquals(null, ring.authenticate("a-long-enough-key-001"));
    assertEquals(PriorityClass.BATCH, ok.tenant("acme").defaultPriority());
    assertEquals(PriorityClass.STANDARD, ok.tenant("beta").defaultPriority());
    assertEquals("other", ok.metricLabel("beta"));
    assertEquals("acme", ok.metricLabel("acme"));
    ring.revoked(java.util.List.of("k1"));
    assertEquals(null, ring.authenticate("a-long-enough-key-000"));
  }
}
