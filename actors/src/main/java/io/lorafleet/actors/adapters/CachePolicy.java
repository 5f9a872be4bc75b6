package io.lorafleet.actors.adapters;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The per-node adapter cache policy: limits per tier and the eviction order. Eviction is LRU with
 * frequency: an entry's score is its last use plus {@code frequencyWeight} per doubling of its hit count,
 * so a popular adapter survives a burst of one-off ones; the lowest score goes first. Pinned entries and
 * entries in use are never chosen. Pure: the {@link AdapterStore} owns the entries and asks this class
 * whom to evict.
 *
 * @param deviceAdapters  adapters kept on the engine's device at once ({@code device-slots})
 * @param cpuBytes        bytes of adapter weights kept in memory
 * @param diskBytes       bytes of downloaded adapter files kept on disk
 * @param frequencyWeight how much recency one doubling of the hit count is worth
 */
public record CachePolicy(int deviceAdapters, long cpuBytes, long diskBytes, Duration frequencyWeight) {
  public CachePolicy {
    if (deviceAdapters < 1 || cpuBytes < 1 || diskBytes < 1 || frequencyWeight.isNegative()) {
      throw new IllegalArgumentException("invalid adapter cache limits " + deviceAdapters + " on the device, " + cpuBytes
          + " CPU bytes, " + diskBytes + " disk bytes");
    }
  }

  /**
   * One cached entry as the policy sees it.
   *
   * @param key          what the caller evicts
   * @param bytes        its size in the tier
   * @param lastUseNanos {@link System#nanoTime()} of its last use
   * @param hits         how often it was used
   * @param pinned       never evicted
   * @param inUse        never evicted while requests use it
   */
  public record Entry<K>(K key, long bytes, long lastUseNanos, long hits, boolean pinned, boolean inUse) {}

  /** The score that orders eviction: lowest first. */
  public double score(Entry<?> e) {
    return e.lastUseNanos() + frequencyWeight.toNanos() * (Math.log1p(e.hits()) / Math.log(2));
  }

  /**
   * Entries to evict, in order, so that {@code used + incoming <= limit}; fewer (possibly none) when the
   * rest are pinned or in use: the tier then stays over its limit until they are released.
   */
  public <K> List<K> victims(Collection<Entry<K>> entries, long used, long incoming, long limit) {
    long excess = used + incoming - limit;
    List<K> out = new ArrayList<>();
    if (excess <= 0) {
      return out;
    }
    List<Entry<K>> candidates = entries.stream().filter(e -> !e.pinned() && !e.inUse())
        .sorted(Comparator.comparingDouble(this::score)).toList();
    for (Entry<K> e : candidates) {
      if (excess <= 0) {
        break;
      }
      out.add(e.key());
      excess -= e.bytes();
    }
    return out;
  }
}
