package io.lorafleet.actors.protocol;

import com.typesafe.config.Config;
import java.util.function.IntFunction;

/**
 * What a peer's message may contain, checked while it is read: its size (before parsing; protobuf-java then
 * checks every length a field declares against the bytes left before allocating, so parsing allocates at most
 * a small multiple of the message), its nesting depth, and the elements of each repeated field and the
 * characters of each string (before the domain values are built). A message beyond a limit is refused as
 * malformed ({@link MalformedMessageException}).
 *
 * @param maxMessageBytes   {@code lorafleet.serialization.max-message-bytes} (Artery's frame size by default)
 * @param maxRepeated       {@code lorafleet.serialization.max-repeated}
 * @param maxStringChars    {@code lorafleet.serialization.max-string-chars}
 */
public record WireLimits(int maxMessageBytes, int maxRepeated, int maxStringChars) {
  /** Nesting depth of messages (the deepest schema, relay Finished, nests 4). */
  public static final int MAX_DEPTH = 8;

  public WireLimits {
    if (maxMessageBytes <= 0 || maxRepeated <= 0 || maxStringChars <= 0) {
      throw new IllegalArgumentException("lorafleet.serialization limits must be positive: " + maxMessageBytes + ", "
          + maxRepeated + ", " + maxStringChars);
    }
  }

  public static WireLimits of(Config config) {
    return new WireLimits((int) Math.min(Integer.MAX_VALUE,
        config.getBytes("lorafleet.serialization.max-message-bytes")),
        config.getInt("lorafleet.serialization.max-repeated"),
        config.getInt("lorafleet.serialization.max-string-chars"));
  }

  /** {@code count} elements of repeated field {@code field}, refused beyond {@link #maxRepeated}. */
  int count(int count, String field) {
    if (count > maxRepeated) {
      throw new MalformedMessageException(field + " has " + count + " elements, more than the " + maxRepeated
          + " allowed");
    }
    return count;
  }

  /** A string field, refused beyond {@link #maxStringChars}. */
  String string(String s, String field) {
    if (s.length() > maxStringChars) {
      throw new MalformedMessageException(field + " has " + s.length() + " characters, more than the "
          + maxStringChars + " allowed");
    }
    return s;
  }

  /** An optional string field: null when absent. */
  String optional(boolean present, String s, String field) {
    return present ? string(s, field) : null;
  }

  /** A repeated int32 field as an array. */
  int[] ints(int count, IntIndexed get, String field) {
    int[] out = new int[count(count, field)];
    for (int i = 0; i < out.length; i++) {
      out[i] = get.at(i);
    }
    return out;
  }

  /** A repeated float field as an array. */
  float[] floats(int count, FloatIndexed get, String field) {
    float[] out = new float[count(count, field)];
    for (int i = 0; i < out.length; i++) {
      out[i] = get.at(i);
    }
    return out;
  }

  /** A repeated double field as an array. */
  double[] doubles(int count, DoubleIndexed get, String field) {
    double[] out = new double[count(count, field)];
    for (int i = 0; i < out.length; i++) {
      out[i] = get.at(i);
    }
    return out;
  }

  /** A repeated string field as an array, every element checked. */
  String[] strings(int count, IntFunction<String> get, String field) {
    String[] out = new String[count(count, field)];
    for (int i = 0; i < out.length; i++) {
      out[i] = string(get.apply(i), field);
    }
    return out;
  }

  interface IntIndexed {
    int at(int i);
  }

  interface FloatIndexed {
    float at(int i);
  }

  interface DoubleIndexed {
    double at(int i);
  }
}
