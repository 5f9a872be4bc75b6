package io.lorafleet.runtime.model;

import io.lorafleet.runtime.format.LlamaConfig;
import io.lorafleet.runtime.format.RopeScaling;

/**
 * Rotary position embedding with HF's {@code rotate_half} layout: pair {@code (i, i + headDim/2)} rotates
 * by {@code position * invFreq[i]}. Inverse frequencies follow transformers' default, {@code linear} and
 * {@code llama3} rules, computed in double.
 */
public final class Rope {
  private final double[] invFreq;

  public Rope(LlamaConfig config) {
    this.invFreq = inverseFrequencies(config.headDim(), config.ropeTheta(), config.ropeScaling());
  }

  public static double[] inverseFrequencies(int headDim, double theta, RopeScaling scaling) {
    int half = headDim / 2;
    double[] inv = new double[half];
    for (int i = 0; i < half; i++) {
      inv[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
    }
    switch (scaling.type()) {
      case "linear" -> {
        for (int i = 0; i < half; i++) {
          inv[i] /= scaling.factor();
        }
      }
      case "llama3" -> {
        double factor = scaling.factor();
        double low = scaling.lowFreqFactor();
        double high = scaling.highFreqFactor();
        double oldCtx = scaling.originalMaxPositionEmbeddings();
        double lowFreqWavelen = oldCtx / low;
        double highFreqWavelen = oldCtx / high;
        for (int i = 0; i < half; i++) {
          double wavelen = 2 * Math.PI / inv[i];
          if (wavelen > lowFreqWavelen) {
            inv[i] = inv[i] / factor;
          } else if (wavelen >= highFreqWavelen) {
            double smooth = (oldCtx / wavelen - low) / (high - low);
            inv[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i];
          }
        }
      }
      default -> { }
    }
    return inv;
  }

  public double[] inverseFrequencies() {
    return invFreq.clone();
  }

  /** Fills {@code cos[i]}, {@code sin[i]} ({@code i < headDim/2}) for {@code position}. */
  public void angles(int position, float[] cos, float[] sin) {
    for (int i = 0; i < invFreq.length; i++) {
      double a = position * invFreq[i];
      cos[i] = (float) Math.cos(a);
      sin[i] = (float) Math.sin(a);
    }
  }

  /**
   * Rotates {@code heads} consecutive heads of {@code headDim} values starting at {@code off} in place:
   * {@code x' = x * cos + rotate_half(x) * sin}.
   */
  public static void apply(float[] x, int off, int heads, int headDim, float[] cos, float[] sin) {
    int half = headDim / 2;
    for (int h = 0; h < heads; h++) {
      int base = off + h * headDim;
      for (int i = 0; i < half; i++) {
        float x0 = x[base + i];
        float x1 = x[base + i + half];
        x[base + i] = x0 * cos[i] - x1 * sin[i];
        x[base + i + half] = x1 * cos[i] + x0 * sin[i];
      }
    }
  }
}
