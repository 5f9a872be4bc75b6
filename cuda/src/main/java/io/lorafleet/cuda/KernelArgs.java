package io.lorafleet.cuda;

import java.util.Arrays;

/**
 * The arguments of one kernel launch, in parameter order, each with its kind. A device address is a
 * {@link Kind#POINTER}; C {@code int}, {@code float} and {@code long long} parameters are the other kinds.
 * The kinds spell a signature ({@code "ppif"}) that tests compare with the kernels' own (PTX parameter
 * types, or the emulator's registry) to catch arguments passed in the wrong order.
 */
final class KernelArgs {
  /** Parameter kinds, with the letter used in signatures. */
  public enum Kind {
    POINTER('p'),
    INT('i'),
    FLOAT('f'),
    LONG('l');

    private final char letter;

    Kind(char letter) {
      this.letter = letter;
    }

    public char letter() {
      return letter;
    }
  }

  private long[] values = new long[16];
  private Kind[] kinds = new Kind[16];
  private int size;

  public KernelArgs pointer(long address) {
    return add(Kind.POINTER, address);
  }

  public KernelArgs i32(int value) {
    return add(Kind.INT, value);
  }

  public KernelArgs f32(float value) {
    return add(Kind.FLOAT, Float.floatToRawIntBits(value) & 0xffffffffL);
  }

  public KernelArgs i64(long value) {
    return add(Kind.LONG, value);
  }

  private KernelArgs add(Kind kind, long value) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
      kinds = Arrays.copyOf(kinds, size * 2);
    }
    values[size] = value;
    kinds[size] = kind;
    size++;
    return this;
  }

  public int size() {
    return size;
  }

  public Kind kind(int i) {
    return kinds[i];
  }

  /** The raw value: an address, a sign-extended int, a long, or the float's bits in the low 32 bits. */
  public long value(int i) {
    return values[i];
  }

  public int intValue(int i) {
    return (int) values[i];
  }

  public float floatValue(int i) {
    return Float.intBitsToFloat((int) values[i]);
  }

  /** One letter per argument: p, i, f, l. */
  public String signature() {
    StringBuilder sb = new StringBuilder(size);
    for (int i = 0; i < size; i++) {
      sb.append(kinds[i].letter());
    }
    return sb.toString();
  }
}
