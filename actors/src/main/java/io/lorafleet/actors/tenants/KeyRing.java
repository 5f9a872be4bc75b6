package io.lorafleet.actors.tenants;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A node's view of every API key: the configured ones (HOCON, keys file) and those issued through the admin API
 * (replicated), less the revoked ones (replicated). Keys are held as SHA-256 digests only; a presented key is
 * hashed, looked up by digest and compared with {@link MessageDigest#isEqual} (constant time). Reads are
 * lock-free (an immutable snapshot); {@link KeyRegistry} updates it from Distributed Data.
 */
public final class KeyRing {
  /**
   * One key.
   *
   * @param id            its public id
   * @param tenant        its tenant
   * @param digest        SHA-256 of the key
   * @param origin        {@code config}, {@code file} or {@code admin}
   * @param createdMillis when it was issued (0 for configured keys)
   */
  public record Entry(String id, String tenant, byte[] digest, String origin, long createdMillis) {}

  /** A key as listed (no digest). */
  public record Listed(String id, String tenant, String origin, long createdMillis, boolean revoked) {}

  private record Snapshot(Map<String, Entry> byDigest, Map<String, Entry> byId, Set<String> revoked) {}

  private final List<Entry> configured;
  private final Map<String, IssuedKey> issued = new HashMap<>();
  private final Set<String> revoked = new HashSet<>();
  private volatile Snapshot snapshot;
  private volatile boolean loaded;

  public KeyRing(List<Entry> configured) {
    this.configured = List.copyOf(configured);
    rebuild();
  }

  /** Issued keys as replicated (merged: an entry is never removed, revocation is separate). */
  synchronized void issued(Collection<IssuedKey> keys) {
    for (IssuedKey k : keys) {
      issued.put(k.id(), k);
    }
    rebuild();
  }

  /** Revoked key ids as replicated (a grow-only set: merged). */
  synchronized void revoked(Collection<String> ids) {
    revoked.addAll(ids);
    rebuild();
  }

  /** The replicated keys and revocations have been read once (from a majority, or what answered). */
  void markLoaded() {
    loaded = true;
  }

  /** Whether the replicated keys have been read since the node started. */
  public boolean loaded() {
    return loaded;
  }

  private void rebuild() {
    Map<String, Entry> byDigest = new HashMap<>();
    Map<String, Entry> byId = new LinkedHashMap<>();
    for (Entry e : configured) {
      byId.put(e.id(), e);
    }
    for (IssuedKey k : issued.values()) {
      byte[] digest = ApiKeys.parseDigest(k.sha256());
      if (digest != null && !byId.containsKey(k.id())) {
        byId.put(k.id(), new Entry(k.id(), k.tenant(), digest, "admin", k.createdMillis()));
      }
    }
    for (Entry e : byId.values()) {
      if (!revoked.contains(e.id())) {
        byDigest.put(HexFormat.of().formatHex(e.digest()), e);
      }
    }
    snapshot = new Snapshot(Map.copyOf(byDigest), byId, Set.copyOf(revoked));
  }

  /** The key {@code presented} is, unless it is unknown or revoked (null then). */
  public Entry authenticate(String presented) {
    byte[] digest = ApiKeys.sha256(presented);
    Entry e = snapshot.byDigest().get(HexFormat.of().formatHex(digest));
    return e != null && MessageDigest.isEqual(e.digest(), digest) ? e : null;
  }

  /** The key with id {@code id} (revoked or not), or null. */
  public Entry byId(String id) {
    return snapshot.byId().get(id);
  }

  public boolean isRevoked(String id) {
    return snapshot.revoked().contains(id);
  }

  /** Every key, configured ones first, without digests. */
  public List<Listed> list() {
    Snapshot s = snapshot;
    List<Listed> out = new ArrayList<>();
    for (Entry e : s.byId().values()) {
      out.add(new Listed(e.id(), e.tenant(), e.origin(), e.createdMillis(), s.revoked().contains(e.id())));
    }
    return out;
  }
}
