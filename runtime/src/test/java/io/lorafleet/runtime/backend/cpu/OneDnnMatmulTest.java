package io.lorafleet.runtime.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lorafleet.runtime.backend.NativeGemm;
import io.lorafleet.runtime.format.DType;
import io.lorafleet.runtime.format.SafetensorsWriter;
import io.lorafleet.runtime.model.Linear;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * oneDNN's bf16 matmul over the panels in place, against a double-precision product of the bf16-rounded
 * inputs and against the Vector-API kernels. Skipped where libdnnl.so.2 does not load (CI installs
 * libdnnl2, see .ci/run).
 */
class OneDnnMatmulTest {
  private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private static void assumeLibrary() {
    var why = OneDnnMatmul.unavailableReason();
    assumeTrue(why.isEmpty(), () -> "skipped: " + why.orElse("") + " (CI installs libdnnl2 in .ci/run)");
  }

  private static float bf16(float v) {
    return Float.intBitsToFloat((SafetensorsWriter.toBf16(v) & 0xffff) << 16);
  }

  @Test
  void roundsToNearestEven() {
    assertEquals(SafetensorsWriter.toBf16(1.00390625f), OneDnnMatmul.toBf16(1.00390625f));
    SplittableRandom r = new SplittableRandom(3);
    for (int i = 0; i < 100_000; i++) {
      float v = (float) (r.nextGaussian() * Math.exp(r.nextGaussian() * 5));
      assertEquals(SafetensorsWriter.toBf16(v), OneDnnMatmul.toBf16(v), "value " + v);
    }
  }

  @Test
  void productsMatchTheBf16ReferenceAndTheVectorKernels() {
    assumeLibrary();
    SplittableRandom r = new SplittableRandom(11);
    try (Arena arena = Arena.ofConfined(); OneDnnMatmul m = OneDnnMatmul.open(NativeGemm.ON, 2).orElseThrow()) {
      // Odd input and output sizes (zero padding of the k-rows and of the last panel), several row counts.
      int[][] shapes = {{100, 67}, {64, 64}, {257, 130}, {96, 2048}};
      for (int[] s : shapes) {
        int out = s[0], in = s[1];
        MemorySegment seg = arena.allocate((long) out * in * 2, 64);
        float[] wf = new float[out * in];
        for (int i = 0; i < out * in; i++) {
          float v = (float) r.nextGaussian();
          seg.set(SHORT, 2L * i, SafetensorsWriter.toBf16(v));
          wf[i] = bf16(v);
        }
        PackedLinear p = PackedLinear.pack(new Linear("w", DType.BF16, out, in, seg), arena,
            PackedLinear.Format.BF16_PAIRS);
        for (int rows : new int[] {1, 16, 37}) {
          float[] x = new float[rows * in];
          for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
          }
          float[] y = new float[rows * out];
          m.multiply(p, x, in, rows, y, out);
          float[] vec = new float[rows * out];
          PanelKernels.matmul(p, x, 0, in, rows, vec, 0, out, 0, p.panels(), false);
          for (int t = 0; t < rows; t++) {
            for (int o = 0; o < out; o++) {
              double ref = 0;
              double mag = 0;
              for (int k = 0; k < in; k++) {
                ref += (double) wf[o * in + k] * bf16(x[t * in + k]);
                mag += Math.abs((double) wf[o * in + k] * x[t * in + k]);
              }
              String what = out + "x" + in + " rows " + rows + " t " + t + " o " + o;
              assertEquals(ref, y[t * out + o], 1e-5 * mag + 1e-6, what);
              // Against the exact f32 kernels: only the bf16 rounding of the input (2^-9 relative) differs.
              assertEquals(vec[t * out + o], y[t * out + o], 4e-3 * mag + 1e-6, what);
            }
          }
        }
      }
      assertTrue(m.implementation().startsWith("brg"), m.implementation());
    }
  }

  @Test
  void offNeverLoadsAndOnWithoutTheLibraryFailsClearly() {
    assertTrue(OneDnnMatmul.open(NativeGemm.OFF, 2).isEmpty());
    if (OneDnnMatmul.unavailableReason().isPresent()) {
      var e = assertThrows(IllegalStateException.class, () -> OneDnnMatmul.open(NativeGemm.ON, 2));
      assertTrue(e.getMessage().contains("libdnnl2"), e.getMessage());
    }
  }
}
