package io.lorafleet.tools.synthetic;

import io.lorafleet.runtime.format.DType;
import java.util.Arrays;

/**
 * One tensor of a synthetic safetensors file: its name, element type, shape and how to fill it.
 *
 * @param name  the tensor's key in the file
 * @param dtype stored element type
 * @param shape dimensions (row-major)
 * @param fill  element values
 */
public record TensorSpec(String name, DType dtype, long[] shape, TensorFill fill) {
  public TensorSpec {
    shape = shape.clone();
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException(name + ": negative dimension in " + Arrays.toString(shape));
      }
    }
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  public long elements() {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  public long bytes() {
    return Math.multiplyExact(elements(), dtype.bytes());
  }
}
