package io.lorafleet.runtime.engine;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The prefix cache's name for a full KV block: 128 bits of SHA-256 over (the previous block's hash, the
 * sequence's cache key, the block's token ids). Chained, so a block's hash names its whole prefix; keyed,
 * so the same tokens under another adapter (whose K/V differ) get another name. See {@link
 * Sequence#cacheKey()} for the key.
 */
public record BlockHash(long hi, long lo) {
  /** The parent of a sequence's first block. */
  public static final BlockHash ROOT = new BlockHash(0, 0);

  /** The hash of {@code tokens[from .. from + blockSize)} after {@code parent} under {@code cacheKey}. */
  public static BlockHash of(BlockHash parent, String cacheKey, int[] tokens, int from, int blockSize) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
    byte[] key = cacheKey.getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocate(16 + 4 + key.length + 4 * blockSize);
    buf.putLong(parent.hi).putLong(parent.lo).putInt(key.length).put(key);
    for (int i = 0; i < blockSize; i++) {
      buf.putInt(tokens[from + i]);
    }
    ByteBuffer d = ByteBuffer.wrap(sha.digest(buf.array()));
    return new BlockHash(d.getLong(), d.getLong());
  }
}
