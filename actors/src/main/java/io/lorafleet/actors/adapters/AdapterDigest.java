package io.lorafleet.actors.adapters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The digest that names an adapter's content: SHA-256 over its two files, {@code adapter_config.json} then
 * {@code adapter_model.safetensors}, each preceded by its name and byte length, as {@code sha256:<hex>}. The
 * same bytes give the same digest wherever they lie (a local directory, a download, a peer's copy), so a node
 * can check what it loads against what was registered.
 */
public final class AdapterDigest {
  /** The files that make an adapter, in digest order. */
  public static final List<String> FILES = List.of("adapter_config.json", "adapter_model.safetensors");
  private static final String PREFIX = "sha256:";

  private AdapterDigest() {}

  /** The digest of the adapter in {@code dir}; fails when one of {@link #FILES} is missing or unreadable. */
  public static String of(Path dir) throws IOException {
    MessageDigest sha = sha256();
    byte[] buffer = new byte[1 << 16];
    for (String name : FILES) {
      Path file = dir.resolve(name);
      long size = Files.size(file);
      sha.update((name + "\n" + size + "\n").getBytes(StandardCharsets.UTF_8));
      try (InputStream in = Files.newInputStream(file)) {
        int n;
        while ((n = in.read(buffer)) > 0) {
          sha.update(buffer, 0, n);
        }
      }
    }
    return PREFIX + HexFormat.of().formatHex(sha.digest());
  }

  /** Whether {@code text} has the form of a digest ({@code sha256:} and 64 lower-case hex digits). */
  public static boolean isWellFormed(String text) {
    if (text == null || text.length() != PREFIX.length() + 64 || !text.startsWith(PREFIX)) {
      return false;
    }
    for (int i = PREFIX.length(); i < text.length(); i++) {
      char c = text.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
