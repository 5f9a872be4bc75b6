package io.lorafleet.actors.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.actors.adapters.AdapterConflictException;
import io.lorafleet.actors.adapters.AdapterEntity;
import io.lorafleet.actors.adapters.AdapterIds;
import io.lorafleet.actors.adapters.AdapterRegistry;
import io.lorafleet.actors.adapters.AdapterSource;
import io.lorafleet.actors.adapters.AdapterStore;
import io.lorafleet.actors.adapters.NodeResidency;
import io.lorafleet.actors.adapters.RegisteredAdapter;
import io.lorafleet.actors.tenants.ApiKeys;
import io.lorafleet.actors.tenants.KeyRing;
import io.lorafleet.actors.tenants.Quota;
import io.lorafleet.actors.tenants.Tenancy;
import io.lorafleet.actors.tenants.TenantConfig;
import io.lorafleet.actors.tenants.TenantQuotas;
import io.lorafleet.actors.adapters.Tier;
import io.lorafleet.runtime.engine.EngineStats;
import io.lorafleet.runtime.engine.PriorityClass;
import io.lorafleet.runtime.errors.InvalidRequestException;
import io.lorafleet.runtime.errors.NotFoundException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * The admin API, behind a bearer token compared in constant time: register (and load) adapters, remove
 * them (waits for their in-flight requests), pin/unpin, list adapters with residency and usage, node
 * status.
 */
final class AdminApi {
  private static final Duration ASK = Duration.ofSeconds(10);
  /** Removal waits for in-flight requests, which may run long. */
  private static final Duration REMOVE_TIMEOUT = Duration.ofMinutes(10);

  private final NodeHandles node;
  private final byte[] tokenDigest;

  AdminApi(NodeHandles node) {
    this.node = node;
    this.tokenDigest = node.adminToken() == null ? null : sha256(node.adminToken());
  }

  /** Throws unless {@code authorization} carries the admin token. */
  void authenticate(String authorization) {
    if (tokenDigest == null) {
      throw new AuthenticationException("the admin API is disabled on this node (start it with --admin-token-file)", true);
    }
    String presented = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
        ? authorization.substring(7).strip() : null;
    // Compare digests: constant time, and independent of the token's length.
    if (presented == null || !MessageDigest.isEqual(tokenDigest, sha256(presented))) {
      throw new AuthenticationException("missing or wrong bearer token", false);
    }
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private EntityRef<AdapterEntity.Command> entity(String id) {
    return ClusterSharding.get(node.system()).entityRefFor(AdapterEntity.TYPE_KEY, id);
  }

  CompletionStage<HttpResponse> register(RequestFields body) {
    String id = body.requiredString("id");
    AdapterIds.check(id);
    if (id.equals(node.modelName())) {
      throw new InvalidRequestException("adapter id \"" + id + "\" is the base model's name");
    }
    AdapterSource source = node.sources().check(body.requiredString("source"), null);
    boolean load = body.bool("load", true);
    String owner = body.string("owner");
    if (owner != null) {
      ApiKeys.checkName(owner, "owner");
    }
    CompletionStage<AdapterEntity.RegisterResult> registered =
        entity(id).ask(replyTo -> new AdapterEntity.Register(source.spec(), owner, false, replyTo), ASK);
    return registered.thenCompose(r -> {
      if (r.conflict() != null) {
        throw new CompletionException(new AdapterConflictException(r.conflict()));
      }
      CompletionStage<Void> loaded = load ? warm(id).exceptionallyCompose(err -> r.created()
          ? removeQuietly(id).thenCompose(x -> CompletableFuture.<Void>failedFuture(err))
          : CompletableFuture.failedFuture(err)) : CompletableFuture.completedFuture(null);
      return loaded.thenApply(x -> {
        ObjectNode o = HttpResponses.object();
        o.put("id", id);
        o.put("source", r.source());
        if (r.owner() == null) {
          o.putNull("owner");
        } else {
          o.put("owner", r.owner());
        }
        o.put("created", r.created());
        o.put("loaded", load);
        return HttpResponses.json(r.created() ? 201 : 200, o);
      });
    });
  }

  /** Loads the adapter on this node (lease and release at once). */
  private CompletionStage<Void> warm(String id) {
    CompletionStage<AdapterStore.AcquireResult> f = AskPattern.ask(node.store(),
        replyTo -> new AdapterStore.Acquire(id, null, replyTo), node.adapterWaitTimeout(), node.system().scheduler());
    return f.thenApply(res -> {
      switch (res) {
        case AdapterStore.Leased l -> node.store().tell(new AdapterStore.Release(id));
        case AdapterStore.Refused r -> throw new CompletionException(r.error());
      }
      return null;
    });
  }

  private CompletionStage<AdapterEntity.RemoveResult> removeQuietly(String id) {
    return entity(id).ask(AdapterEntity.Remove::new, REMOVE_TIMEOUT);
  }

  CompletionStage<HttpResponse> remove(String id) {
    return removeQuietly(id).thenApply(r -> {
      if (!r.existed()) {
        throw new CompletionException(new NotFoundException("unknown adapter " + id));
      }
      ObjectNode o = HttpResponses.object();
      o.put("id", id);
      o.put("removed", true);
      return HttpResponses.json(o);
    });
  }

  CompletionStage<HttpResponse> pin(String id, boolean pinned) {
    CompletionStage<AdapterEntity.AdapterStatus> f = entity(id).ask(r -> new AdapterEntity.SetPinned(pinned, r), ASK);
    return f.thenCompose(s -> {
      if (!s.registered()) {
        throw new CompletionException(new NotFoundException("unknown adapter " + id));
      }
      CompletionStage<Void> w = pinned ? warm(id) : CompletableFuture.completedFuture(null);
      return w.thenCompose(x -> status(id)).thenApply(st -> HttpResponses.json(adapterJson(st)));
    });
  }

  private CompletionStage<AdapterEntity.AdapterStatus> status(String id) {
    return entity(id).ask(AdapterEntity.GetStatus::new, ASK);
  }

  CompletionStage<HttpResponse> list() {
    return AdapterRegistry.snapshot(node.system(), ASK).thenCompose(reg -> {
      List<CompletableFuture<AdapterEntity.AdapterStatus>> all = new ArrayList<>();
      for (String id : reg.keySet()) {
        all.add(status(id).toCompletableFuture());
      }
      return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(x -> {
        ObjectNode o = HttpResponses.object();
        ArrayNode arr = o.putArray("adapters");
        for (CompletableFuture<AdapterEntity.AdapterStatus> f : all) {
          ObjectNode a = adapterJson(f.join());
          RegisteredAdapter r = reg.get(a.get("id").asText());
          if (r == null || r.owner() == null) {
            a.putNull("owner");
          } else {
            a.put("owner", r.owner());
          }
          arr.add(a);
        }
        return HttpResponses.json(o);
      });
    });
  }

  private static ObjectNode adapterJson(AdapterEntity.AdapterStatus s) {
    ObjectNode a = HttpResponses.object();
    a.put("id", s.id());
    a.put("source", s.source());
    a.put("pinned", s.pinned());
    a.put("tier", s.state().wireName());
    a.put("hits", s.hits());
    a.put("requests_per_second", s.requestsPerSecond());
    putTime(a, "last_use", s.lastUseMillis());
    int inFlight = 0;
    ArrayNode nodes = a.putArray("nodes");
    for (NodeResidency n : s.nodes()) {
      ObjectNode j = nodes.addObject();
      j.put("node", n.node());
      j.put("tier", n.tier().wireName());
      j.put("in_flight", n.inFlight());
      j.put("bytes", n.bytes());
      j.put("hits", n.hits());
      putTime(j, "last_use", n.lastUseMillis());
      j.put("last_error", n.lastError());
      inFlight += n.inFlight();
    }
    a.put("in_flight", inFlight);
    return a;
  }

  private static void putTime(ObjectNode o, String field, long millis) {
    if (millis == 0) {
      o.putNull(field);
    } else {
      o.put(field, Instant.ofEpochMilli(millis).toString());
    }
  }

  CompletionStage<HttpResponse> nodeStatus() {
    CompletionStage<AdapterStore.Snapshot> snap = AskPattern.ask(node.store(), AdapterStore.GetSnapshot::new, ASK,
        node.system().scheduler());
    return snap.thenApply(s -> {
      ObjectNode o = HttpResponses.object();
      Cluster cluster = Cluster.get(node.system());
      o.put("node", cluster.selfMember().address().toString());
      o.put("status", cluster.selfMember().status().toString());
      ArrayNode members = o.putArray("members");
      for (Member m : cluster.state().getMembers()) {
        members.add(m.address() + " " + m.status());
      }
      o.put("model", node.modelName());
      o.put("backend", node.model().backend().name());
      o.put("quantize", node.model().backend().quantization().wireName());
      EngineStats st = node.model().engine().stats();
      ObjectNode e = o.putObject("engine");
      e.put("waiting", st.waiting());
      e.put("running", st.running());
      e.put("kv_blocks_used", st.kvBlocksUsed());
      e.put("kv_blocks_total", st.kvBlocksTotal());
      e.put("adapters_loaded", st.adaptersLoaded());
      e.put("steps", st.steps());
      e.put("prompt_tokens", st.promptTokens());
      e.put("generated_tokens", st.generatedTokens());
      e.put("preemptions", st.preemptions());
      e.put("max_model_len", node.model().engine().maxModelLen());
      ObjectNode classes = e.putObject("priority_classes");
      for (PriorityClass c : PriorityClass.values()) {
        ObjectNode j = classes.putObject(c.wireName());
        j.put("waiting", st.priority().waiting(c));
        j.put("running", st.priority().running(c));
        j.put("admitted", st.priority().admitted(c));
        j.put("preempted", st.priority().preempted(c));
        j.put("promoted", st.priority().promoted(c));
      }
      ObjectNode prefix = e.putObject("prefix_cache");
      prefix.put("enabled", node.model().engine().config().prefixCaching());
      prefix.put("cached_blocks", st.kvBlocksCached());
      prefix.put("evictable_blocks", st.kvBlocksEvictable());
      prefix.put("evicted_blocks", st.kvBlocksEvicted());
      prefix.put("block_size", node.model().engine().config().blockSize());
      ObjectNode queried = prefix.putObject("queried_tokens");
      queried.put("base", st.prefixQueriedBase());
      queried.put("adapter", st.prefixQueriedAdapter());
      ObjectNode hit = prefix.putObject("hit_tokens");
      hit.put("base", st.prefixHitBase());
      hit.put("adapter", st.prefixHitAdapter());
      ObjectNode cache = o.putObject("adapter_cache");
      for (Tier t : List.of(Tier.DEVICE, Tier.CPU, Tier.DISK)) {
        AdapterStore.TierStats ts = s.tiers().get(t);
        ObjectNode j = cache.putObject(t.wireName());
        j.put("entries", ts.entries());
        j.put("bytes", ts.bytes());
        j.put(t == Tier.DEVICE ? "slots" : "limit_bytes", ts.limit());
        j.put("hits", ts.hits());
        j.put("misses", ts.misses());
        j.put("loads", ts.loads());
        j.put("evictions", ts.evictions());
      }
      ArrayNode local = o.putArray("adapters");
      for (AdapterStore.AdapterView v : s.adapters()) {
        ObjectNode j = local.addObject();
        j.put("id", v.id());
        j.put("tier", v.tier().wireName());
        j.put("in_flight", v.inFlight());
        j.put("bytes", v.bytes());
        j.put("disk_bytes", v.diskBytes());
        j.put("hits", v.hits());
        putTime(j, "last_use", v.lastUseMillis());
        j.put("pinned", v.pinned());
        j.put("last_error", v.lastError());
      }
      return HttpResponses.json(o);
    });
  }

  // ------------------------------------------------------------------ tenants and API keys

  private Tenancy tenancy() {
    Tenancy t = node.tenancy();
    if (!t.keysRequired()) {
      throw new NotFoundException("API keys are off on this node (lorafleet.tenants.api-keys; serve --api-keys-file)");
    }
    return t;
  }

  /** {@code POST /admin/tenants/keys {"tenant": ..., "id": optional}}: a new key, shown in this answer only. */
  CompletionStage<HttpResponse> issueKey(RequestFields body) {
    Tenancy t = tenancy();
    String tenant = ApiKeys.checkName(body.requiredString("tenant"), "tenant");
    String id = body.string("id");
    if (id != null) {
      ApiKeys.checkName(id, "id");
    }
    return t.issue(tenant, id).thenApply(k -> {
      ObjectNode o = HttpResponses.object();
      o.put("id", k.id());
      o.put("tenant", k.tenant());
      o.put("key", k.key());
      o.put("created", Instant.ofEpochMilli(k.createdMillis()).toString());
      o.put("replicated", k.replicated());
      o.put("note", "the key is shown only here: the fleet keeps its SHA-256 digest");
      return HttpResponses.json(201, o);
    });
  }

  /** {@code GET /admin/tenants/keys}: every key's id, tenant, origin and state; never a key or digest. */
  CompletionStage<HttpResponse> listKeys() {
    Tenancy t = tenancy();
    ObjectNode o = HttpResponses.object();
    ArrayNode keys = o.putArray("keys");
    for (KeyRing.Listed k : t.keys().list()) {
      ObjectNode j = keys.addObject();
      j.put("id", k.id());
      j.put("tenant", k.tenant());
      j.put("origin", k.origin());
      putTime(j, "created", k.createdMillis());
      j.put("revoked", k.revoked());
    }
    return CompletableFuture.completedFuture(HttpResponses.json(o));
  }

  /** {@code DELETE /admin/tenants/keys/{id}}: revoked fleet-wide (404 for an unknown id). */
  CompletionStage<HttpResponse> revokeKey(String id) {
    Tenancy t = tenancy();
    KeyRing.Entry e = t.keys().byId(id);
    if (e == null) {
      throw new NotFoundException("unknown API key id " + id + " (see GET /admin/tenants/keys)");
    }
    return t.revoke(id).thenApply(all -> {
      ObjectNode o = HttpResponses.object();
      o.put("id", id);
      o.put("tenant", e.tenant());
      o.put("revoked", true);
      o.put("replicated", all);
      return HttpResponses.json(o);
    });
  }

  /** {@code GET /admin/tenants}: the defaults and the configured tenants: limits, priority, use of this node. */
  CompletionStage<HttpResponse> tenants() {
    Tenancy t = node.tenancy();
    ObjectNode o = HttpResponses.object();
    o.put("api_keys", t.keysRequired());
    o.set("defaults", tenantJson(t, t.settings().defaults(), false));
    ArrayNode arr = o.putArray("tenants");
    for (TenantConfig c : t.settings().configured().values()) {
      arr.add(tenantJson(t, c, true));
    }
    return CompletableFuture.completedFuture(HttpResponses.json(o));
  }

  private static ObjectNode tenantJson(Tenancy t, TenantConfig c, boolean usage) {
    ObjectNode j = HttpResponses.object();
    j.put("name", c.name());
    j.put("priority", c.defaultPriority().wireName());
    Quota q = c.quota();
    ObjectNode limits = j.putObject("limits");
    limits.put("requests_per_second", q.requestsPerSecond());
    limits.put("burst_seconds", q.burst());
    limits.put("tokens_per_minute", q.tokensPerMinute());
    limits.put("max_concurrent", q.maxConcurrent());
    limits.put("max_kv_blocks", q.maxKvBlocks());
    if (usage) {
      TenantQuotas.Usage u = t.quotas().usage(c.name());
      ObjectNode n = j.putObject("this_node");
      n.put("running", u.running());
      n.put("kv_blocks", u.kvBlocks());
    }
    return j;
  }
}
