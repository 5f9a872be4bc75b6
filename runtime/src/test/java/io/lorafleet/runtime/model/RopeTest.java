package io.lorafleet.runtime.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.format.RopeScaling;
import org.junit.jupiter.api.Test;

class RopeTest {
  @Test
  void defaultFrequenciesMatchTheReference() {
    var ref = Fixtures.reference().get("config").get("rope_inv_freq");
    double[] inv = Rope.inverseFrequencies(32, 10000, RopeScaling.NONE);
    assertEquals(ref.size(), inv.length);
    for (int i = 0; i < inv.length; i++) {
      assertEquals(ref.get(i).asDouble(), inv[i], 1e-15);
    }
  }

  @Test
  void linearScalingDividesEveryFrequency() {
    double[] base = Rope.inverseFrequencies(64, 10000, RopeScaling.NONE);
    double[] lin = Rope.inverseFrequencies(64, 10000, RopeScaling.linear(4));
    for (int i = 0; i < base.length; i++) {
      assertEquals(base[i] / 4, lin[i], 1e-18);
    }
  }

  @Test
  void llama3ScalingKeepsHighFrequenciesScalesLowOnesAndBlendsBetween() {
    // Llama 3.1 settings.
    double[] base = Rope.inverseFrequencies(128, 500000, RopeScaling.NONE);
    double[] s = Rope.inverseFrequencies(128, 500000, RopeScaling.llama3(8, 1, 4, 8192));
    int kept = 0, scaled = 0, blended = 0;
    for (int i = 0; i < base.length; i++) {
      double wavelen = 2 * Math.PI / base[i];
      if (wavelen < 8192 / 4.0) {
        assertEquals(base[i], s[i], 0, "high frequency " + i);
        kept++;
      } else if (wavelen > 8192 / 1.0) {
        assertEquals(base[i] / 8, s[i], 1e-18, "low frequency " + i);
        scaled++;
      } else {
        double smooth = (8192 / wavelen - 1) / (4 - 1);
        assertEquals((1 - smooth) * base[i] / 8 + smooth * base[i], s[i], 1e-15);
        assertTrue(s[i] < base[i] && s[i] > base[i] / 8);
        blended++;
      }
    }
    assertTrue(kept > 0 && scaled > 0 && blended > 0, kept + " " + scaled + " " + blended);
  }

  @Test
  void rotateHalfPairsIWithIPlusHalf() {
    float[] x = {1, 0, 0, 0};
    float[] cos = {0, 1};
    float[] sin = {1, 0};
    Rope.apply(x, 0, 1, 4, cos, sin);
    // Pair (0, 2) rotated by 90 degrees: (1, 0) -> (0, 1).
    assertEquals(0, x[0], 1e-7);
    assertEquals(1, x[2], 1e-7);
  }
}
