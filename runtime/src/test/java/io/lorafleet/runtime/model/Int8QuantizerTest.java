package io.lorafleet.runtime.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.errors.InvalidRequestException;
import io.lorafleet.runtime.errors.ModelFormatException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Quantize / dequantize round trips of {@link Int8Quantizer} and the parsing of {@link Quantization}. */
class Int8QuantizerTest {
  @Test
  void everyWeightComesBackWithinHalfAStepAndTheLargestHitsTheEndOfTheRange() {
    SplittableRandom r = new SplittableRandom(3);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + r.nextInt(700);
      float[] row = new float[n];
      double std = Math.pow(10, r.nextInt(-4, 3));
      for (int i = 0; i < n; i++) {
        row[i] = (float) (r.nextGaussian() * std);
      }
      byte[] q = new byte[2 * n];
      float scale = Int8Quantizer.quantizeRow(row, 0, n, q, 1, 2);
      float max = 0;
      int maxCode = 0;
      for (int i = 0; i < n; i++) {
        max = Math.max(max, Math.abs(row[i]));
        byte c = q[1 + 2 * i];
        assertTrue(c >= -127 && c <= 127, "code " + c);
        maxCode = Math.max(maxCode, Math.abs(c));
        float back = Int8Quantizer.dequantize(c, scale);
        // Half a step, plus the float rounding of the division and of the product.
        assertTrue(Math.abs(back - row[i]) <= 0.5f * scale * (1 + 1e-5f) + Math.ulp(row[i]),
            () -> "weight " + back + " vs " + row[0]);
        assertEquals(Math.signum(row[i]) * Math.signum(c) >= 0, true, "sign kept");
      }
      assertEquals(max / 127f, scale, 0f, "scale = max |w| / 127");
      assertEquals(127, maxCode, "the largest weight takes the end of the range");
    }
  }

  @Test
  void mirroredRowsGetMirroredCodesAndZeroRowsScaleZero() {
    float[] row = {0.3f, -1.7f, 0.001f, 1.7f, -0.25f};
    float[] neg = new float[row.length];
    for (int i = 0; i < row.length; i++) {
      neg[i] = -row[i];
    }
    byte[] a = new byte[row.length];
    byte[] b = new byte[row.length];
    assertEquals(Int8Quantizer.quantizeRow(row, 0, row.length, a, 0, 1),
        Int8Quantizer.quantizeRow(neg, 0, neg.length, b, 0, 1));
    for (int i = 0; i < row.length; i++) {
      assertEquals(a[i], -b[i]);
    }
    assertEquals(-127, a[1]);
    assertEquals(127, a[3]);
    byte[] z = {9, 9, 9};
    assertEquals(0f, Int8Quantizer.quantizeRow(new float[3], 0, 3, z, 0, 1));
    assertEquals(0, z[0] | z[1] | z[2]);
  }

  @Test
  void nonFiniteWeightsAreRefusedWithTheirValue() {
    var e = assertThrows(ModelFormatException.class,
        () -> Int8Quantizer.quantizeRow(new float[] {1f, Float.NaN}, 0, 2, new byte[2], 0, 1));
    assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    assertThrows(ModelFormatException.class,
        () -> Int8Quantizer.quantizeRow(new float[] {Float.NEGATIVE_INFINITY}, 0, 1, new byte[1], 0, 1));
  }

  @Test
  void quantizationParsesItsTwoSpellingsAndNamesTheChoicesOtherwise() {
    assertEquals(Quantization.INT8, Quantization.parse("int8"));
    assertEquals(Quantization.INT8, Quantization.parse(" INT8 "));
    assertEquals(Quantization.NONE, Quantization.parse("none"));
    var e = assertThrows(InvalidRequestException.class, () -> Quantization.parse("int4"));
    assertTrue(e.getMessage().contains("none, int8"), e.getMessage());
    assertThrows(InvalidRequestException.class, () -> Quantization.parse(null));
  }
}
