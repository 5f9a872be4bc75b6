package io.lorafleet.runtime.format;

/**
 * The {@code rope_scaling} block of a Llama config. {@code type} is "default" when the block is absent.
 * Fields that a type does not use are NaN / 0.
 */
public record RopeScaling(
    String type, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings) {

  public static final RopeScaling NONE = new RopeScaling("default", 1.0, Double.NaN, Double.NaN, 0);

  public static RopeScaling linear(double factor) {
    return new RopeScaling("linear", factor, Double.NaN, Double.NaN, 0);
  }

  public static RopeScaling llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPos) {
    return new RopeScaling("llama3", factor, lowFreqFactor, highFreqFactor, originalMaxPos);
  }
}
