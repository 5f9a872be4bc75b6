package io.lorafleet.runtime.model;

import io.lorafleet.runtime.format.DType;
import io.lorafleet.runtime.format.TensorView;
import java.lang.foreign.MemorySegment;

/**
 * A weight matrix {@code [rows, cols]} in row-major order ({@code nn.Linear} layout: rows = out features,
 * cols = in features) with its element type, viewed in place.
 */
public record Linear(String name, DType dtype, int rows, int cols, MemorySegment data) {
  public static Linear of(TensorView t) {
    return new Linear(t.name(), t.dtype(), Math.toIntExact(t.shape()[0]), Math.toIntExact(t.shape()[1]), t.data());
  }

  public long bytes() {
    return data.byteSize();
  }
}
