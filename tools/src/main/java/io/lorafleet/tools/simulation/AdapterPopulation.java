package io.lorafleet.tools.simulation;

import io.lorafleet.tools.stats.ZipfDistribution;
import java.util.SplittableRandom;

/**
 * The adapter population of a simulation: their ids, their sizes, and their popularity. Popularity ranks are a random
 * permutation of the adapters (so that popularity says nothing about an adapter's id or hash); the adapter of
 * rank k (1-based) is requested with probability proportional to {@code k^-s} (Zipf).
 *
 * <p>Sizes follow a mix of LoRA shapes for a Llama-3-8B-shaped base model (hidden 4096, KV 1024, MLP 14336,
 * 32 layers, bf16): rank 8 / 16 / 32 / 64 with probability 0.40 / 0.35 / 0.20 / 0.05, on the q and v
 * projections (0.85 MB per rank), all attention projections (1.7 MB per rank) or all seven projections
 * (5.2 MB per rank) with probability 0.4 / 0.3 / 0.3: 45 MB on average.
 */
public final class AdapterPopulation {
  private static final String PREFIX = "adapter-";
  private static final int LAYERS = 32;
  private static final long HIDDEN = 4096;
  private static final long KV = 1024;
  private static final long MLP = 14336;
  /** Parameters per rank and layer: q+v, q+k+v+o, all seven projections. */
  private static final long[] PARAMS_PER_RANK = {
      (HIDDEN + HIDDEN) + (HIDDEN + KV),
      2 * (HIDDEN + HIDDEN) + 2 * (HIDDEN + KV),
      2 * (HIDDEN + HIDDEN) + 2 * (HIDDEN + KV) + 3 * (HIDDEN + MLP)};

  private final String[] ids;
  private final long[] bytes;
  private final int[] byRank;
  private final int[] rankOf;
  private final ZipfDistribution popularity;

  private AdapterPopulation(String[] ids, long[] bytes, int[] byRank, ZipfDistribution popularity) {
    this.ids = ids;
    this.bytes = bytes;
    this.byRank = byRank;
    this.rankOf = new int[byRank.length];
    for (int r = 0; r < byRank.length; r++) {
      rankOf[byRank[r]] = r + 1;
    }
    this.popularity = popularity;
  }

  /** A catalogue of {@code n} adapters with Zipf({@code s}) popularity, all drawn from {@code seed}. */
  public static AdapterPopulation create(int n, double s, long seed) {
    SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
    int width = Integer.toString(Math.max(0, n - 1)).length();
    String[] ids = new String[n];
    long[] bytes = new long[n];
    for (int i = 0; i < n; i++) {
      ids[i] = PREFIX + pad(i, width);
      bytes[i] = drawBytes(random);
    }
    int[] byRank = new int[n];
    for (int i = 0; i < n; i++) {
      byRank[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = byRank[i];
      byRank[i] = byRank[j];
      byRank[j] = t;
    }
    return new AdapterPopulation(ids, bytes, byRank, new ZipfDistribution(n, s));
  }

  private static long drawBytes(SplittableRandom random) {
    double u = random.nextDouble();
    int rank = u < 0.40 ? 8 : u < 0.75 ? 16 : u < 0.95 ? 32 : 64;
    double v = random.nextDouble();
    long perRank = PARAMS_PER_RANK[v < 0.4 ? 0 : v < 0.7 ? 1 : 2];
    return rank * perRank * LAYERS * 2;
  }

  static String pad(int i, int width) {
    String s = Integer.toString(i);
    return s.length() >= width ? s : "0".repeat(width - s.length()) + s;
  }

  public int size() {
    return ids.length;
  }

  public String id(int adapter) {
    return ids[adapter];
  }

  public long bytes(int adapter) {
    return bytes[adapter];
  }

  /** The index of the adapter with id {@code id} (an id of this catalogue). */
  public int indexOf(String id) {
    return Integer.parseInt(id, PREFIX.length(), id.length(), 10);
  }

  /** The adapter of popularity rank {@code rank} (1 = most popular). */
  public int atRank(int rank) {
    return byRank[rank - 1];
  }

  /** The popularity rank of {@code adapter} (1 = most popular). */
  public int rank(int adapter) {
    return rankOf[adapter];
  }

  /** Probability that a base-rate request is for the adapter of rank {@code rank}. */
  public double probability(int rank) {
    return popularity.probability(rank - 1);
  }

  /** The adapter for a uniform draw {@code u} in [0,1) (inverse of the popularity distribution). */
  public int sample(double u) {
    return byRank[popularity.rankOf(u)];
  }

  /** Mean adapter size in bytes. */
  public double meanBytes() {
    double s = 0;
    for (long b : bytes) {
      s += b;
    }
    return s / bytes.length;
  }
}
