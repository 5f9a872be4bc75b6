package io.lorafleet.actors.tenants;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import io.lorafleet.runtime.engine.PriorityClass;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@code lorafleet.tenants} block, typed and checked: whether API keys are required, the keys (HOCON and
 * the keys file; digests only are kept), default and per-tenant settings, and the owners of the adapters
 * registered at start.
 *
 * @param apiKeys        whether {@code /generate*} and {@code /v1/*} require {@code Authorization: Bearer <key>}
 * @param keysFile       the keys file, or null
 * @param defaults       the settings of a tenant not configured by name
 * @param configured     tenants configured by name (their metrics carry their name; others are "other")
 * @param keys           the configured keys (HOCON and file)
 * @param adapterOwners  adapter id → owner tenant, for adapters registered at start (others are public)
 */
public record TenantSettings(boolean apiKeys, Path keysFile, TenantConfig defaults,
    Map<String, TenantConfig> configured, List<KeyRing.Entry> keys, Map<String, String> adapterOwners) {
  /** The metrics label of every tenant not configured by name. */
  public static final String OTHER = "other";

  /** Keys off, nothing configured: today's open node. */
  public static final TenantSettings OFF = new TenantSettings(false, null,
      new TenantConfig("default", Quota.UNLIMITED, PriorityClass.STANDARD), Map.of(), List.of(), Map.of());

  /** The settings of {@code tenant}: its own, or the defaults. */
  public TenantConfig tenant(String tenant) {
    TenantConfig c = configured.get(tenant);
    return c != null ? c : defaults;
  }

  /** The label of {@code tenant} in metrics: its name when configured, else {@link #OTHER} (bounded). */
  public String metricLabel(String tenant) {
    return tenant != null && configured.containsKey(tenant) ? tenant : OTHER;
  }

  /**
   * Reads {@code lorafleet.tenants} and the keys file it names.
   *
   * @throws IllegalArgumentException naming the setting, file and line of anything wrong
   */
  public static TenantSettings from(Config config) {
    Config t = config.getConfig("lorafleet.tenants");
    try {
      boolean on = t.getBoolean("api-keys");
      String file = t.getString("keys-file");
      Path keysFile = file.isBlank() ? null : Path.of(file).toAbsolutePath().normalize();
      Config defaultsConfig = t.getConfig("defaults");
      TenantConfig defaults = tenant("default", defaultsConfig);
      Map<String, TenantConfig> configured = new TreeMap<>();
      List<KeyRing.Entry> keys = new ArrayList<>();
      Config byName = t.getConfig("configured");
      for (Map.Entry<String, ConfigValue> e : byName.root().entrySet()) {
        String name = e.getKey();
        if (!ApiKeys.validName(name) || name.equals(OTHER)) {
          throw new IllegalArgumentException("lorafleet.tenants.configured." + name + ": a tenant name is 1-64 "
              + "letters, digits, '.', '_' or '-' (and not \"" + OTHER + "\", the metrics label of the others)");
        }
        Config c = byName.getConfig(ConfigUtil.quoteString(name)).withFallback(defaultsConfig);
        configured.put(name, tenant(name, c));
        if (c.hasPath("keys")) {
          int i = 0;
          for (Config k : c.getConfigList("keys")) {
            keys.add(hoconKey(name, k, "lorafleet.tenants.configured." + name + ".keys[" + i++ + "]"));
          }
        }
      }
      if (keysFile != null) {
        keys.addAll(readKeysFile(keysFile));
      }
      Set<String> ids = new HashSet<>();
      Set<String> digests = new HashSet<>();
      for (KeyRing.Entry k : keys) {
        if (!ids.add(k.id())) {
          throw new IllegalArgumentException("API key id \"" + k.id() + "\" is configured twice (" + k.origin() + ")");
        }
        if (!digests.add(java.util.HexFormat.of().formatHex(k.digest()))) {
          throw new IllegalArgumentException("API key \"" + k.id() + "\" (" + k.origin()
              + "): the same key is configured twice");
        }
      }
      Map<String, String> owners = new LinkedHashMap<>();
      Config ownerConfig = t.getConfig("adapter-owners");
      for (Map.Entry<String, ConfigValue> e : ownerConfig.root().entrySet()) {
        Object v = e.getValue().unwrapped();
        if (!(v instanceof String owner) || !ApiKeys.validName(owner)) {
          throw new IllegalArgumentException("lorafleet.tenants.adapter-owners.\"" + e.getKey()
              + "\": the owner must be a tenant name");
        }
        owners.put(e.getKey(), owner);
      }
      return new TenantSettings(on, keysFile, defaults, Map.copyOf(configured), List.copyOf(keys),
          Map.copyOf(owners));
    } catch (ConfigException e) {
      throw new IllegalArgumentException("lorafleet.tenants: " + e.getMessage(), e);
    }
  }

  private static TenantConfig tenant(String name, Config c) {
    Quota q;
    try {
      q = new Quota(c.getDouble("requests-per-second"), c.getLong("tokens-per-minute"), c.getInt("max-concurrent"),
          c.getLong("max-kv-blocks"), c.getDouble("burst-seconds"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("tenant " + name + ": " + e.getMessage(), e);
    }
    String priority = c.getString("priority").strip().toLowerCase(java.util.Locale.ROOT);
    for (PriorityClass p : PriorityClass.values()) {
      if (p.wireName().equals(priority)) {
        return new TenantConfig(name, q, p);
      }
    }
    throw new IllegalArgumentException("lorafleet.tenants " + (name.equals("default") ? "defaults" :
        "configured." + name) + ".priority = \"" + c.getString("priority") + "\": one of "
        + Arrays.stream(PriorityClass.values()).map(PriorityClass::wireName).toList());
  }

  /** One key of a tenant's {@code keys} list: {@code {id = "...", sha256 = "<hex>"}} or {@code {id, key}}. */
  private static KeyRing.Entry hoconKey(String tenant, Config k, String where) {
    if (!k.hasPath("id") || !ApiKeys.validName(k.getString("id"))) {
      throw new IllegalArgumentException(where + ": needs an \"id\" of 1-64 letters, digits, '.', '_' or '-'");
    }
    String id = k.getString("id");
    byte[] digest;
    if (k.hasPath("sha256")) {
      digest = ApiKeys.parseDigest(k.getString("sha256"));
      if (digest == null) {
        throw new IllegalArgumentException(where + ".sha256: not 64 hex digits (the SHA-256 of the key)");
      }
    } else if (k.hasPath("key")) {
      digest = configuredKey(k.getString("key"), where + ".key");
    } else {
      throw new IllegalArgumentException(where + ": needs \"sha256\" (hex digest of the key) or \"key\"");
    }
    return new KeyRing.Entry(id, tenant, digest, "config", 0);
  }

  private static byte[] configuredKey(String key, String where) {
    if (key.strip().length() < ApiKeys.MIN_CONFIGURED_KEY_LENGTH) {
      throw new IllegalArgumentException(where + ": a key needs at least " + ApiKeys.MIN_CONFIGURED_KEY_LENGTH
          + " characters");
    }
    return ApiKeys.sha256(key.strip());
  }

  /**
   * The keys file: one key per line, {@code <tenant> <key-id> <key>} or {@code <tenant> <key-id>
   * sha256:<hex digest>}, separated by blanks; empty lines and lines starting with {@code #} are skipped.
   */
  static List<KeyRing.Entry> readKeysFile(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("API keys file " + file + ": cannot read: " + e.getMessage(), e);
    }
    List<KeyRing.Entry> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = "API keys file " + file + " line " + (i + 1);
      String[] w = line.split("\\s+");
      if (w.length != 3) {
        throw new IllegalArgumentException(where + ": expected \"<tenant> <key-id> <key or sha256:hex>\", got "
            + w.length + " fields");
      }
      if (!ApiKeys.validName(w[0]) || !ApiKeys.validName(w[1])) {
        throw new IllegalArgumentException(where + ": tenant and key id are 1-64 letters, digits, '.', '_' or '-'");
      }
      byte[] digest;
      if (w[2].startsWith("sha256:")) {
        digest = ApiKeys.parseDigest(w[2].substring(7));
        if (digest == null) {
          throw new IllegalArgumentException(where + ": sha256: needs 64 hex digits");
        }
      } else {
        digest = configuredKey(w[2], where);
      }
      out.add(new KeyRing.Entry(w[1], w[0], digest, "file", 0));
    }
    return out;
  }
}
