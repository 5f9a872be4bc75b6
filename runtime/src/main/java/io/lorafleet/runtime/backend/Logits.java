package io.lorafleet.runtime.backend;

/** Logits of some batch rows: {@code rows x vocab} float32, row-major. */
public record Logits(int rows, int vocab, float[] values) {
  public Logits {
    if (values.length < (long) rows * vocab) {
      throw new IllegalArgumentException("logits buffer too small");
    }
  }

  /** Copies row {@code r}. */
  public float[] row(int r) {
    float[] out = new float[vocab];
    System.arraycopy(values, r * vocab, out, 0, vocab);
    return out;
  }

  public float get(int r, int token) {
    return values[r * vocab + token];
  }
}
