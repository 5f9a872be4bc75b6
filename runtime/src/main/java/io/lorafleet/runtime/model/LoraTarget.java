package io.lorafleet.runtime.model;

import io.lorafleet.runtime.format.LlamaConfig;
import java.util.Optional;

/** The seven Llama projections a LoRA adapter can modify, with their HF module names and shapes. */
public enum LoraTarget {
  Q("self_attn", "q_proj"),
  K("self_attn", "k_proj"),
  V("self_attn", "v_proj"),
  O("self_attn", "o_proj"),
  GATE("mlp", "gate_proj"),
  UP("mlp", "up_proj"),
  DOWN("mlp", "down_proj");

  private final String block;
  private final String projection;

  LoraTarget(String block, String projection) {
    this.block = block;
    this.projection = projection;
  }

  /** e.g. {@code q_proj}. */
  public String projection() {
    return projection;
  }

  /** The module's name in the HF model, e.g. {@code model.layers.3.self_attn.q_proj}. */
  public String moduleName(int layer) {
    return "model.layers." + layer + "." + block + "." + projection;
  }

  public int inFeatures(LlamaConfig c) {
    return switch (this) {
      case Q, K, V, GATE, UP -> c.hiddenSize();
      case O -> c.queryDim();
      case DOWN -> c.intermediateSize();
    };
  }

  public int outFeatures(LlamaConfig c) {
    return switch (this) {
      case Q -> c.queryDim();
      case K, V -> c.kvDim();
      case O, DOWN -> c.hiddenSize();
      case GATE, UP -> c.intermediateSize();
    };
  }

  public static Optional<LoraTarget> fromProjection(String projection) {
    for (LoraTarget t : values()) {
      if (t.projection.equals(projection)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
