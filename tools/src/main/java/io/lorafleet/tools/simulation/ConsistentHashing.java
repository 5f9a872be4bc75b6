package io.lorafleet.tools.simulation;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Map;

/**
 * The baseline: plain consistent hashing, as memcached's ketama does it. Every node owns 160 points on a
 * 32-bit ring (four per MD5 digest of {@code "<node>-<i>"}); an adapter is served by the owner of the first
 * point at or after the first four bytes of its id's MD5. No replication and no load awareness: every request
 * for an adapter goes to the same node, whatever its queue.
 */
final class ConsistentHashing implements FleetPolicy {
  static final int POINTS_PER_NODE = 160;

  private final long[] points;
  private final int[] owners;
  private final int[] homes;
  private final AdapterPopulation catalog;
  private final MessageDigest md5;

  ConsistentHashing(String[] nodeNames, AdapterPopulation catalog) {
    this.catalog = catalog;
    this.md5 = md5();
    int n = nodeNames.length * POINTS_PER_NODE;
    long[] packed = new long[n];
    int k = 0;
    for (int node = 0; node < nodeNames.length; node++) {
      for (int d = 0; d < POINTS_PER_NODE / 4; d++) {
        byte[] digest = md5.digest((nodeNames[node] + "-" + d).getBytes(StandardCharsets.UTF_8));
        for (int j = 0; j < 4; j++) {
          // point in bits 31-62, owner in bits 0-30: non-negative, so sorting orders by point, then owner
          packed[k++] = (word(digest, j) << 31) | node;
        }
      }
    }
    Arrays.sort(packed);
    this.points = new long[n];
    this.owners = new int[n];
    for (int i = 0; i < n; i++) {
      points[i] = packed[i] >>> 31;
      owners[i] = (int) (packed[i] & 0x7FFFFFFFL);
    }
    this.homes = new int[catalog.size()];
    Arrays.fill(homes, -1);
  }

  private static MessageDigest md5() {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no MD5 in this JVM", e);
    }
  }

  /** Little-endian unsigned 32-bit word {@code j} of a digest (ketama's order). */
  private static long word(byte[] d, int j) {
    return ((d[3 + 4 * j] & 0xFFL) << 24) | ((d[2 + 4 * j] & 0xFFL) << 16) | ((d[1 + 4 * j] & 0xFFL) << 8)
        | (d[4 * j] & 0xFFL);
  }

  @Override
  public String name() {
    return "consistent hashing";
  }

  @Override
  public int route(int request, int adapter, int ingress, double now) {
    int h = homes[adapter];
    if (h < 0) {
      h = owner(word(md5.digest(catalog.id(adapter).getBytes(StandardCharsets.UTF_8)), 0));
      homes[adapter] = h;
    }
    return h;
  }

  /** The owner of the first ring point at or after {@code key} (wrapping around). */
  int owner(long key) {
    int i = Arrays.binarySearch(points, key);
    if (i < 0) {
      i = -i - 1;
    } else {
      while (i > 0 && points[i - 1] == key) {
        i--;
      }
    }
    return owners[i == points.length ? 0 : i];
  }

  @Override
  public Map<String, Object> extras() {
    return Map.of("ringPointsPerNode", POINTS_PER_NODE);
  }
}
