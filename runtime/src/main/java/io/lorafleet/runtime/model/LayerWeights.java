package io.lorafleet.runtime.model;

/** Weights of one decoder layer. Norm weights are copied to float (they are tiny); matrices are views. */
public record LayerWeights(
    float[] attnNorm, Linear q, Linear k, Linear v, Linear o, float[] ffnNorm, Linear gate, Linear up, Linear down) {

  /** The projection a LoRA target modifies. */
  public Linear linear(LoraTarget target) {
    return switch (target) {
      case Q -> q;
      case K -> k;
      case V -> v;
      case O -> o;
      case GATE -> gate;
      case UP -> up;
      case DOWN -> down;
    };
  }
}
