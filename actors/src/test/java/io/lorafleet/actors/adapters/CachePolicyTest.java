package io.lorafleet.actors.adapters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CachePolicyTest {
  private final CachePolicy policy = new CachePolicy(4, 1000, 1000, Duration.ofSeconds(10));
  private static final long S = 1_000_000_000L;

  @Test
  void nothingToEvictUnderTheLimit() {
    var entries = List.of(new CachePolicy.Entry<>("a", 400, 0, 0, false, false));
    assertEquals(List.of(), policy.victims(entries, 400, 600, 1000));
  }

  @Test
  void evictsLeastRecentlyUsedFirstUntilItFits() {
    var entries = List.of(
        new CachePolicy.Entry<>("old", 300, 10 * S, 0, false, false),
        new CachePolicy.Entry<>("mid", 300, 20 * S, 0, false, false),
        new CachePolicy.Entry<>("new", 300, 30 * S, 0, false, false));
    assertEquals(List.of("old"), policy.victims(entries, 900, 300, 1000));
    assertEquals(List.of("old", "mid"), policy.victims(entries, 900, 600, 1000));
  }

  @Test
  void frequencyProtectsPopularEntries() {
    // "hot" was used 5 s before "cold", but 1023 hits are worth 10 doublings x 10 s = 100 s of recency.
    var entries = List.of(
        new CachePolicy.Entry<>("hot", 500, 100 * S, 1023, false, false),
        new CachePolicy.Entry<>("cold", 500, 105 * S, 0, false, false));
    assertEquals(List.of("cold"), policy.victims(entries, 1000, 100, 1000));
  }

  @Test
  void neverEvictsPinnedOrInUseEntries() {
    var entries = List.of(
        new CachePolicy.Entry<>("pinned", 500, 0, 0, true, false),
        new CachePolicy.Entry<>("busy", 500, 0, 0, false, true),
        new CachePolicy.Entry<>("idle", 500, 50 * S, 0, false, false));
    assertEquals(List.of("idle"), policy.victims(entries, 1500, 500, 1000));
    // Over the limit with nothing evictable: the tier stays over until entries are released.
    assertEquals(List.of(), policy.victims(entries.subList(0, 2), 1000, 500, 1000));
  }

  @Test
  void rejectsNonsenseLimits() {
    assertThrows(IllegalArgumentException.class, () -> new CachePolicy(0, 1, 1, Duration.ZERO));
  }
}
