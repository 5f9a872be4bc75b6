package io.lorafleet.actors.placement;

import java.nio.charset.StandardCharsets;

/**
 * Weighted rendezvous (highest random weight) hashing: every (key, node) pair gets a stable score; the node
 * with the highest score is the key's home. Adding a node moves only the keys it wins; weights bias the
 * share of keys each node wins (logarithmic method: score = -weight / ln(u), u uniform in (0,1)).
 */
public final class RendezvousHash {
  private RendezvousHash() {}

  /** The score of {@code key} on {@code node}; higher wins. */
  public static double score(String key, String node, double weight) {
    long h = mix(fnv(key) * 0x9E3779B97F4A7C15L ^ fnv(node));
    double u = ((h >>> 11) + 0.5) / (double) (1L << 53);
    return -weight / Math.log(u);
  }

  private static long fnv(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return h;
  }

  /** SplitMix64 finalizer. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
