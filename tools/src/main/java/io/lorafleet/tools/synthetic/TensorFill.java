package io.lorafleet.tools.synthetic;

/** How the elements of a synthetic tensor are chosen. */
public sealed interface TensorFill {
  /** Independent samples of a normal distribution with mean 0 and standard deviation {@code std}. */
  record Normal(float std) implements TensorFill {
    public Normal {
      if (!(std > 0) || Float.isInfinite(std)) {
        throw new IllegalArgumentException("std must be positive and finite, got " + std);
      }
    }
  }

  /** Every element equal to {@code value} (norm weights of 1). */
  record Constant(float value) implements TensorFill {}
}
