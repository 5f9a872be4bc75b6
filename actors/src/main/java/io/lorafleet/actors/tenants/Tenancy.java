package io.lorafleet.actors.tenants;

import io.lorafleet.actors.metrics.ServerMetrics;
import io.lorafleet.runtime.engine.PriorityClass;
import io.lorafleet.runtime.errors.OverloadedException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.IntSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tenants of a node as the HTTP layer sees them: who a request's API key says sent it, what it may use, and
 * whether its tenant's quota admits it. With API keys off everything is open (no keys, no quotas, every
 * adapter), as before tenants existed.
 */
public final class Tenancy {
  private static final Logger log = LoggerFactory.getLogger(Tenancy.class);
  /** How often the count of live members (each node's share of the quotas) is read again. */
  private static final long MEMBERS_REFRESH_NANOS = 1_000_000_000L;

  private final TenantSettings settings;
  private final KeyRing ring;
  private final TenantQuotas quotas;
  private final ActorSystem<?> system;
  private final ServerMetrics metrics;

  private Tenancy(TenantSettings settings, KeyRing ring, TenantQuotas quotas, ActorSystem<?> system,
      ServerMetrics metrics) {
    this.settings = settings;
    this.ring = ring;
    this.quotas = quotas;
    this.system = system;
    this.metrics = metrics;
  }

  /**
   * Starts the node's tenancy: with API keys on, its key ring and the subscriber that keeps it current
   * (spawned as {@code tenant-keys}); with keys off, logs how to turn them on.
   */
  public static Tenancy start(ActorContext<?> ctx, TenantSettings settings, ServerMetrics metrics) {
    KeyRing ring = new KeyRing(settings.keys());
    if (settings.apiKeys()) {
      ctx.spawn(KeyRegistry.subscriber(ring), "tenant-keys");
      log.info("API keys on: /generate* and /v1/* need Authorization: Bearer <key> ({} configured keys, {} "
          + "configured tenants; keys issued with POST /admin/tenants/keys)", settings.keys().size(),
          settings.configured().size());
    } else {
      ring.markLoaded();
      log.info("API keys off: any client may use every adapter. Turn them on with lorafleet.tenants.api-keys = on "
          + "(or serve --api-keys-file FILE); see the README, \"Tenants and keys\"");
    }
    return new Tenancy(settings, ring, new TenantQuotas(settings, liveMembers(ctx.getSystem()), metrics),
        ctx.getSystem(), metrics);
  }

  /** Up (or weakly up) and reachable members, read at most once a second. */
  static IntSupplier liveMembers(ActorSystem<?> system) {
    Cluster cluster = Cluster.get(system);
    long[] at = {System.nanoTime() - 2 * MEMBERS_REFRESH_NANOS};
    int[] count = {1};
    return () -> {
      long now = System.nanoTime();
      synchronized (at) {
        if (now - at[0] >= MEMBERS_REFRESH_NANOS) {
          var state = cluster.state();
          java.util.Set<Member> unreachable = new java.util.HashSet<>();
          state.getUnreachable().forEach(unreachable::add);
          int n = 0;
          for (Member m : state.getMembers()) {
            if ((m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp())
                && !unreachable.contains(m)) {
              n++;
            }
          }
          count[0] = Math.max(1, n);
          at[0] = now;
        }
        return count[0];
      }
    };
  }

  public TenantSettings settings() {
    return settings;
  }

  /** Whether inference requests need an API key. */
  public boolean keysRequired() {
    return settings.apiKeys();
  }

  public KeyRing keys() {
    return ring;
  }

  public TenantQuotas quotas() {
    return quotas;
  }

  /**
   * The caller of an inference request from its {@code Authorization} header (null when absent): {@link
   * Caller#OPEN} with keys off; else its key's tenant, or {@link ApiKeyException} (401).
   */
  public Caller authenticate(String authorization) {
    if (!settings.apiKeys()) {
      return Caller.OPEN;
    }
    String key = bearer(authorization);
    if (key == null) {
      metrics.unauthorized("missing");
      throw new ApiKeyException("this server needs an API key: send the header Authorization: Bearer <key>", true);
    }
    return check(key);
  }

  /**
   * The caller where a key is optional ({@code GET /info}): {@link Caller#ANONYMOUS} (public adapters only)
   * when no header was sent and keys are on; a header that is sent must hold a valid key.
   */
  public Caller optional(String authorization) {
    if (!settings.apiKeys()) {
      return Caller.OPEN;
    }
    return authorization == null ? Caller.ANONYMOUS : authenticate(authorization);
  }

  private Caller check(String key) {
    if (!ring.loaded()) {
      throw new OverloadedException("this node is still reading the fleet's API keys; retry in a second");
    }
    KeyRing.Entry e = key.length() > ApiKeys.MAX_PRESENTED_KEY_LENGTH ? null : ring.authenticate(key);
    if (e == null) {
      metrics.unauthorized("invalid");
      throw new ApiKeyException("invalid or revoked API key", false);
    }
    return new Caller(e.tenant(), e.id(), false);
  }

  /** The key of {@code Authorization: Bearer <key>}, or null. */
  static String bearer(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String k = authorization.substring(7).strip();
    return k.isEmpty() ? null : k;
  }

  /**
   * Admits a generation of {@code caller} against its tenant's quota ({@link QuotaExceededException}: 429);
   * {@link Admission#NONE} for an open caller.
   */
  public Admission admit(Caller caller, int promptTokens, int maxNewTokens, int blockSize) {
    if (caller.open() || caller.tenant() == null) {
      return Admission.NONE;
    }
    return quotas.admit(caller.tenant(), promptTokens, maxNewTokens, blockSize);
  }

  /** The default priority class of {@code caller}'s tenant ({@code standard} for an open caller). */
  public PriorityClass defaultPriority(Caller caller) {
    return caller.tenant() == null ? settings.defaults().defaultPriority()
        : settings.tenant(caller.tenant()).defaultPriority();
  }

  /** A key issued through the admin API: shown once, stored as its digest. */
  public record Issued(String id, String tenant, String key, long createdMillis, boolean replicated) {}

  /**
   * Issues a key for {@code tenant} (with id {@code id}, or a new one) and replicates it fleet-wide.
   *
   * @throws IllegalStateException when the id is taken (a conflict)
   */
  public CompletionStage<Issued> issue(String tenant, String id) {
    String keyId = id != null ? id : ApiKeys.newId();
    if (ring.byId(keyId) != null) {
      return CompletableFuture.failedFuture(new KeyIdTakenException(keyId));
    }
    String key = ApiKeys.newKey();
    long now = System.currentTimeMillis();
    IssuedKey issued = new IssuedKey(keyId, tenant, ApiKeys.sha256Hex(key), now);
    return KeyRegistry.issue(system, ring, issued).thenApply(all -> new Issued(keyId, tenant, key, now, all));
  }

  /** Revokes key {@code id} fleet-wide: completes with whether every reachable node confirmed in time. */
  public CompletionStage<Boolean> revoke(String id) {
    return KeyRegistry.revoke(system, ring, id);
  }
}
