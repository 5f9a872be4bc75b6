package io.lorafleet.actors.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

/**
 * Kryo serializers that check every length a peer sends against the bytes left in the message before
 * anything is allocated: an array of n elements needs at least n times its element's smallest encoding,
 * a string of n characters at least n bytes. Kryo itself allocates whatever a length claims (a 4-byte
 * payload claiming 200M ints asks for 800 MB), so a stranger's message could otherwise end the node with
 * an {@link OutOfMemoryError}. Messages are read from byte arrays (an Artery frame), so the bytes left
 * are known exactly.
 */
final class LengthBoundedSerializers {
  private LengthBoundedSerializers() {}

  /** Puts the bounded serializers in place of Kryo's for {@link String} and every registered array type. */
  static void install(Kryo kryo, Iterable<Class<?>> registered) {
    kryo.getRegistration(String.class).setSerializer(new BoundedString());
    for (Class<?> c : registered) {
      if (c.isArray()) {
        Registration r = kryo.getRegistration(c);
        r.setSerializer(new BoundedArray<>(r.getSerializer(), smallestEncoding(c.getComponentType())));
      }
    }
  }

  /**
   * The fewest bytes one element of an array of this component type takes in Kryo's default array
   * serializers: ints and longs are variable-length (at least 1 byte), floats and doubles fixed, and an
   * object element has at least its null marker.
   */
  static int smallestEncoding(Class<?> component) {
    if (component == float.class) {
      return 4;
    }
    if (component == double.class) {
      return 8;
    }
    if (component == char.class || component == short.class) {
      return 2;
    }
    return 1;
  }

  /** Reads a string with {@link Input#readString()} after checking its declared length against the input. */
  static String readString(Input input) {
    if (input.readVarIntFlag()) { // UTF-8 with a character count (the ASCII form has none: it ends at its last byte)
      int start = input.position();
      int count = input.readVarIntFlag(true); // 0 = null, 1 = empty, else characters + 1
      int left = input.limit() - input.position();
      input.setPosition(start);
      if (count - 1L > left) {
        throw new KryoException("string of " + (count - 1L) + " characters in " + left + " bytes");
      }
    }
    return input.readString();
  }

  /** {@link String}: Kryo's format, with the length checked. */
  static final class BoundedString extends Serializer<String> {
    BoundedString() {
      setImmutable(true);
      setAcceptsNull(true);
    }

    @Override
    public void write(Kryo kryo, Output output, String s) {
      output.writeString(s);
    }

    @Override
    public String read(Kryo kryo, Input input, Class<? extends String> type) {
      return readString(input);
    }
  }

  /** An array type's own serializer, entered only when its declared length fits in what is left. */
  static final class BoundedArray<T> extends Serializer<T> {
    private final Serializer<T> delegate;
    private final int smallestElement;

    BoundedArray(Serializer<T> delegate, int smallestElement) {
      super(delegate.getAcceptsNull(), delegate.isImmutable());
      this.delegate = delegate;
      this.smallestElement = smallestElement;
    }

    @Override
    public void write(Kryo kryo, Output output, T array) {
      delegate.write(kryo, output, array);
    }

    @Override
    public T read(Kryo kryo, Input input, Class<? extends T> type) {
      int start = input.position();
      int length = input.readVarInt(true); // 0 = null, else elements + 1
      long needed = (length - 1L) * smallestElement;
      int left = input.limit() - input.position();
      input.setPosition(start);
      if (needed > left) {
        throw new KryoException(type.getSimpleName() + " of " + (length - 1L) + " elements needs at least " + needed
            + " bytes, " + left + " left");
      }
      return delegate.read(kryo, input, type);
    }

    @Override
    public T copy(Kryo kryo, T original) {
      return delegate.copy(kryo, original);
    }
  }
}
