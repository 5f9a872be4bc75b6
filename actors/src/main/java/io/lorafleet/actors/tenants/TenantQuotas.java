package io.lorafleet.actors.tenants;

import io.lorafleet.actors.metrics.ServerMetrics;
import io.lorafleet.runtime.errors.InvalidRequestException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;

/**
 * Admits a tenant's generation requests against its {@link Quota}, on this node. Fleet-wide limits are split
 * evenly: each node enforces the limit over {@code nodes} (the live members, every one of which takes HTTP
 * requests). Requests per second and tokens per minute are token buckets (refilled continuously, starting
 * full); concurrency and KV blocks are counters held from admission until the generation ends.
 *
 * <p>Tokens per minute: a request is admitted while the bucket is not empty, and the tokens a generation
 * produced are taken when it ends (the bucket may go below zero; the tenant then waits until it refills).
 * KV blocks: the engine does not attribute blocks to tenants, so a request counts ceil((prompt + max new
 * tokens) / block size) blocks from admission to its end: the most it can hold, so the tenant's real use is
 * at most the limit (usually less: generations stop early, prefix-cached blocks are shared).
 */
public final class TenantQuotas {
  private final TenantSettings settings;
  private final IntSupplier nodes;
  private final ServerMetrics metrics;
  private final ConcurrentHashMap<String, State> states = new ConcurrentHashMap<>();

  /**
   * @param nodes live members now (each takes its share of every limit)
   */
  public TenantQuotas(TenantSettings settings, IntSupplier nodes, ServerMetrics metrics) {
    this.settings = settings;
    this.nodes = nodes;
    this.metrics = metrics;
  }

  /** A continuously refilled bucket; {@code level} may go below zero (tokens charged after the fact). */
  private static final class Bucket {
    double level = Double.NaN;
    long last;

    void refill(long now, double rate, double capacity) {
      if (Double.isNaN(level)) {
        level = capacity;
      } else {
        level = Math.min(capacity, level + (now - last) / 1e9 * rate);
      }
      last = now;
    }
  }

  private static final class State {
    final Bucket requests = new Bucket();
    final Bucket tokens = new Bucket();
    int running;
    long blocks;
  }

  /** One tenant's use of this node now. */
  public record Usage(int running, long kvBlocks, double requestTokens, double generatedTokens) {}

  public Usage usage(String tenant) {
    State s = states.get(tenant);
    if (s == null) {
      return new Usage(0, 0, Double.NaN, Double.NaN);
    }
    synchronized (s) {
      return new Usage(s.running, s.blocks, s.requests.level, s.tokens.level);
    }
  }

  /** This node's share of {@code limit}, rounded up (at least 1). */
  static long share(long limit, int n) {
    return Math.max(1, (limit + n - 1) / n);
  }

  /**
   * Admits one request of {@code tenant} or throws {@link QuotaExceededException} naming the limit; the
   * returned admission must be {@link Admission#release released} when the generation ends.
   */
  public Admission admit(String tenant, int promptTokens, int maxNewTokens, int blockSize) {
    Quota q = settings.tenant(tenant).quota();
    String label = settings.metricLabel(tenant);
    int n = Math.max(1, nodes.getAsInt());
    long blocks = ((long) promptTokens + maxNewTokens + blockSize - 1) / blockSize;
    State s = states.computeIfAbsent(tenant, t -> new State());
    long now = System.nanoTime();
    synchronized (s) {
      try {
        if (q.maxConcurrent() > 0) {
          long share = share(q.maxConcurrent(), n);
          if (s.running >= share) {
            throw new QuotaExceededException("max_concurrent", "tenant " + tenant + " has " + s.running
                + " generations running on this node, its share of max-concurrent " + q.maxConcurrent() + " over "
                + n + " node(s)", 1);
          }
        }
        if (q.maxKvBlocks() > 0) {
          long share = share(q.maxKvBlocks(), n);
          if (blocks > share) {
            throw new InvalidRequestException("the request may need " + blocks + " KV blocks (prompt + max new "
                + "tokens), more than tenant " + tenant + "'s share of max-kv-blocks on this node (" + share
                + "): ask for fewer tokens");
          }
          if (s.blocks + blocks > share) {
            throw new QuotaExceededException("max_kv_blocks", "tenant " + tenant + " holds " + s.blocks
                + " KV blocks on this node; this request may need " + blocks + " more, over its share " + share
                + " of max-kv-blocks " + q.maxKvBlocks(), 1);
          }
        }
        if (q.requestsPerSecond() > 0) {
          double rate = q.requestsPerSecond() / n;
          s.requests.refill(now, rate, Math.max(1, rate * q.burst()));
          if (s.requests.level < 1) {
            throw new QuotaExceededException("requests_per_second", "tenant " + tenant + " is over its "
                + q.requestsPerSecond() + " requests per second", (int) Math.ceil((1 - s.requests.level) / rate));
          }
        }
        if (q.tokensPerMinute() > 0) {
          double rate = q.tokensPerMinute() / 60.0 / n;
          s.tokens.refill(now, rate, Math.max(1, q.tokensPerMinute() / (double) n));
          if (s.tokens.level <= 0) {
            throw new QuotaExceededException("tokens_per_minute", "tenant " + tenant + " generated more than its "
                + q.tokensPerMinute() + " tokens per minute", (int) Math.ceil((1e-9 - s.tokens.level) / rate));
          }
        }
      } catch (QuotaExceededException e) {
        metrics.tenantThrottled(label, e.limit());
        throw e;
      }
      if (q.requestsPerSecond() > 0) {
        s.requests.level -= 1;
      }
      s.running++;
      s.blocks += blocks;
    }
    metrics.tenantRequest(label);
    return new Admission(this, tenant, label, blocks, now);
  }

  void release(String tenant, long blocks) {
    State s = states.get(tenant);
    synchronized (s) {
      s.running--;
      s.blocks -= blocks;
    }
  }

  void charge(String tenant, String label, int tokens) {
    metrics.tenantTokens(label, tokens);
    Quota q = settings.tenant(tenant).quota();
    if (q.tokensPerMinute() <= 0 || tokens <= 0) {
      return;
    }
    State s = states.get(tenant);
    int n = Math.max(1, nodes.getAsInt());
    synchronized (s) {
      double rate = q.tokensPerMinute() / 60.0 / n;
      s.tokens.refill(System.nanoTime(), rate, Math.max(1, q.tokensPerMinute() / (double) n));
      s.tokens.level -= tokens;
    }
  }

  ServerMetrics metrics() {
    return metrics;
  }
}
