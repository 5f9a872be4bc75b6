package io.lorafleet.runtime.format;

import java.util.Arrays;

/** A tensor as a safetensors header declares it: name, element type and shape. */
public record TensorHeader(String name, DType dtype, long[] shape) {
  public TensorHeader {
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Bytes of data the tensor occupies. */
  public long bytes() {
    return Math.multiplyExact(Arrays.stream(shape).reduce(1, Math::multiplyExact), dtype.bytes());
  }
}
