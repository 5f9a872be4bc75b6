package io.lorafleet.actors.tenants;

import io.lorafleet.runtime.errors.InvalidRequestException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Key material: new keys and ids, digests, and the names tenants and key ids may have. */
public final class ApiKeys {
  /** Tenant names and key ids: a letter or digit, then letters, digits, '.', '_', '-'; at most 64. */
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Pattern HEX_DIGEST = Pattern.compile("[0-9a-f]{64}");
  /** Prefix of the keys this node issues (43 base64url characters of 32 random bytes follow). */
  static final String KEY_PREFIX = "lf-";
  /** Shortest key accepted from a configuration or keys file. */
  static final int MIN_CONFIGURED_KEY_LENGTH = 16;
  /** Longest key a client may present (longer ones are refused unhashed). */
  static final int MAX_PRESENTED_KEY_LENGTH = 512;
  private static final SecureRandom RANDOM = new SecureRandom();

  private ApiKeys() {}

  /** A new key: 256 random bits. */
  static String newKey() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** A new key id. */
  static String newId() {
    byte[] b = new byte[6];
    RANDOM.nextBytes(b);
    return "key-" + HexFormat.of().formatHex(b);
  }

  static byte[] sha256(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Lower-case hex of the SHA-256 digest of {@code key} (what keys files and HOCON may hold instead of keys). */
  public static String sha256Hex(String key) {
    return HexFormat.of().formatHex(sha256(key));
  }

  /** The digest of a {@code sha256} setting, or null when it is not 64 lower- or upper-case hex digits. */
  static byte[] parseDigest(String hex) {
    String h = hex.strip().toLowerCase(java.util.Locale.ROOT);
    return HEX_DIGEST.matcher(h).matches() ? HexFormat.of().parseHex(h) : null;
  }

  /** Checks a tenant name or key id from a request (422 naming {@code field}). */
  public static String checkName(String value, String field) {
    if (value == null || !NAME.matcher(value).matches()) {
      throw new InvalidRequestException("field \"" + field + "\" must be 1-64 letters, digits, '.', '_' or '-'"
          + " starting with a letter or digit");
    }
    return value;
  }

  static boolean validName(String value) {
    return value != null && NAME.matcher(value).matches();
  }
}
