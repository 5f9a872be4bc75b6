package io.lorafleet.actors.adapters;

import io.lorafleet.runtime.errors.InvalidRequestException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * What an adapter id may be, checked before anything (sharding, the registry, a store entry) is touched
 * for it: 1-128 letters, digits, {@code .}, {@code _} or {@code -}. An adapter a request names by its
 * source gets the id {@link #forSource} of its normalized source: one id per source however it is spelled,
 * and no path or URL in listings.
 */
public final class AdapterIds {
  public static final int MAX_LENGTH = 128;
  /** Longest adapter source (path or URL) a request may name. */
  public static final int MAX_SOURCE_LENGTH = 1024;
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0," + (MAX_LENGTH - 1) + "}");

  private AdapterIds() {}

  public static boolean valid(String id) {
    return id != null && id.length() <= MAX_LENGTH && ID.matcher(id).matches();
  }

  /** Throws {@link InvalidRequestException} (422) unless {@code id} is a valid adapter id; never echoes a long id. */
  public static void check(String id) {
    if (!valid(id)) {
      String shown = id == null ? "null" : id.length() > 64 ? id.substring(0, 64) + "... (" + id.length() + " chars)" : id;
      throw new InvalidRequestException("adapter id \"" + shown + "\" must be 1-" + MAX_LENGTH
          + " letters, digits, '.', '_' or '-'");
    }
  }

  /** The id of an adapter registered by its (normalized) source: {@code src-} and 24 hex digits of its SHA-256. */
  public static String forSource(AdapterSource source) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(source.spec().getBytes(StandardCharsets.UTF_8));
      return "src-" + HexFormat.of().formatHex(h, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
