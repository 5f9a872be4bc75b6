package io.lorafleet.runtime.model;

import io.lorafleet.runtime.errors.InvalidRequestException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How the backend stores the base model's projection matrices.
 *
 * <ul>
 *   <li>{@link #NONE}: in the checkpoint's type (BF16 kept as BF16, F16/F32 as F32 on the CPU).
 *   <li>{@link #INT8}: weight-only int8 (W8A16), quantized at load time by {@link Int8Quantizer}: symmetric,
 *       one float32 scale per output channel (row), no zero point. Activations stay float32. Applies to
 *       q/k/v/o/gate/up/down of every layer and to {@code lm_head} when it is its own tensor; a tied
 *       {@code lm_head} is the embedding table, which keeps its type (so do norms and LoRA adapters).
 * </ul>
 */
public enum Quantization {
  NONE("none"),
  INT8("int8");

  private final String wireName;

  Quantization(String wireName) {
    this.wireName = wireName;
  }

  /** The spelling of {@code --quantize} and {@code lorafleet.engine.quantize}: "none" or "int8". */
  public String wireName() {
    return wireName;
  }

  /** Parses {@code none} or {@code int8} (case-insensitive); anything else is a clear error. */
  public static Quantization parse(String s) {
    if (s != null) {
      String v = s.strip().toLowerCase(Locale.ROOT);
      for (Quantization q : values()) {
        if (q.wireName.equals(v)) {
          return q;
        }
      }
    }
    throw new InvalidRequestException("quantize '" + s + "': expected one of "
        + Arrays.stream(values()).map(Quantization::wireName).collect(Collectors.joining(", ")));
  }

  /** Whether {@code lm_head} is quantized under this setting for weights {@code w} (only when not tied). */
  public boolean quantizesHead(LlamaWeights w) {
    return this == INT8 && w.lmHead() != w.embed();
  }
}
