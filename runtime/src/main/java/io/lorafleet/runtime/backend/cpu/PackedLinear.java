package io.lorafleet.runtime.backend.cpu;

import io.lorafleet.runtime.format.DType;
import io.lorafleet.runtime.model.Int8Quantizer;
import io.lorafleet.runtime.model.Linear;
import io.lorafleet.runtime.model.Quantization;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A weight matrix {@code W [rows = out features, cols = in features]} repacked for {@link PanelKernels}:
 * cut into panels of {@link #PANEL} consecutive output features, each panel stored as consecutive k-rows
 * that hold the panel's 32 weights of input feature {@code k}. A product then reads one panel front to
 * back, and one k-row widens to two float vectors (outputs {@code 0..15} and {@code 16..31} of the panel)
 * that multiply one broadcast input value, whatever the number of input rows.
 *
 * <p>K-row formats:
 * <ul>
 *   <li>{@link Format#BF16}: 64 bytes, 16 little-endian ints; int {@code i} holds output {@code i} in its low
 *       half and output {@code 16 + i} in its high half, so the two vectors are {@code int << 16} and
 *       {@code int & 0xffff0000} (two instructions, exact).
 *   <li>{@link Format#BF16_PAIRS} (bf16 checkpoints when the native GEMM is on): k-rows go by pairs {@code
 *       (2j, 2j + 1)}: 128 bytes, 32 little-endian ints; int {@code o} holds output {@code o}'s weight of input
 *       {@code 2j} in its low half and of input {@code 2j + 1} in its high half. The k-rows are padded with
 *       zeros to a multiple of 32, and 64 zero bytes follow the last panel. This is oneDNN's {@code
 *       BA16a32b2a} layout of {@code W^T} (the VNNI-style layout its AVX512-BF16 matmul reads), so {@link
 *       OneDnnMatmul} multiplies the same bytes in place (one copy of the model) while the Vector-API kernels
 *       take the products it does not (fewer rows); they read it somewhat slower than {@link Format#BF16}.
 *   <li>{@link Format#F32}: 128 bytes, the 32 floats in order (F32 checkpoints; F16 ones are widened to it,
 *       exactly).
 *   <li>{@link Format#INT8}: 32 bytes, the 32 int8 codes in order (weight-only int8, {@link
 *       Int8Quantizer}: quantized from the checkpoint's rows while packing), plus one float32 scale per
 *       output in {@link #scales()}. A kernel widens the codes to float in registers (exact), runs the same
 *       FMA chain over {@code k} as for the other formats and multiplies each output's chain by its scale
 *       once, at the end.
 * </ul>
 * Outputs past {@code rows} in the last panel are zero (scale 0 for INT8).
 */
public final class PackedLinear {
  /** Output features per panel. */
  public static final int PANEL = 32;

  /** How one k-row of a panel is stored. */
  public enum Format {
    BF16(64),
    BF16_PAIRS(64),
    F32(128),
    INT8(32);

    /** Bytes of one k-row (32 weights). */
    public final int rowBytes;

    Format(int rowBytes) {
      this.rowBytes = rowBytes;
    }

    /** The format a stored type is packed to. */
    public static Format of(DType t) {
      return t == DType.BF16 ? BF16 : F32;
    }

    /** The format a stored type is packed to under {@code q}. */
    public static Format of(DType t, Quantization q) {
      return q == Quantization.INT8 ? INT8 : of(t);
    }
  }

  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
  private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
  private static final int K_TILE = 64;
  /** BF16_PAIRS k-rows are stored in blocks of this many (oneDNN's {@code 16a...2a} K block). */
  static final int BF16_K_BLOCK = 32;

  private final String name;
  private final int rows;
  private final int cols;
  private final Format format;
  private final MemorySegment data;
  /** INT8: the scale of every output, {@code panels * PANEL} long (zero past {@code rows}); else null. */
  private final float[] scales;

  private PackedLinear(String name, int rows, int cols, Format format, MemorySegment data) {
    this.name = name;
    this.rows = rows;
    this.cols = cols;
    this.format = format;
    this.data = data;
    this.scales = format == Format.INT8 ? new float[panels(rows) * PANEL] : null;
  }

  /** Bytes {@code w} takes once packed in its own type (its default format). */
  public static long packedBytes(Linear w) {
    return packedBytes(w, Format.of(w.dtype()));
  }

  /**
   * Bytes of the panels of {@code w} packed as {@code f} (INT8: codes only, scales are on the heap;
   * BF16_PAIRS: k-rows padded, plus {@link #BF16_SLACK}).
   */
  public static long packedBytes(Linear w, Format f) {
    return (long) panels(w.rows()) * storedRows(f, w.cols()) * f.rowBytes + (f == Format.BF16_PAIRS ? BF16_SLACK : 0);
  }

  /** Zero bytes after BF16_PAIRS panels: the kernels read an odd k-row with a load one bf16 past its pair's. */
  static final int BF16_SLACK = 64;

  /** K-rows stored per panel: {@code cols}, padded to a multiple of {@link #BF16_K_BLOCK} for BF16_PAIRS. */
  static int storedRows(Format f, int cols) {
    return f == Format.BF16_PAIRS ? (cols + BF16_K_BLOCK - 1) / BF16_K_BLOCK * BF16_K_BLOCK : cols;
  }

  private static int panels(int rows) {
    return (rows + PANEL - 1) / PANEL;
  }

  /**
   * A packed view of {@code w} over {@code dst} (at least {@link #packedBytes} bytes, zeroed); call
   * {@link #pack(Linear, int, int)} for every panel before use.
   */
  public static PackedLinear over(Linear w, MemorySegment dst) {
    return over(w, dst, Format.of(w.dtype()));
  }

  /**
   * A view of {@code w} packed as {@code f} over {@code dst} (at least {@link #packedBytes(Linear, Format)}
   * bytes, zeroed); INT8 takes any source type and quantizes it in {@link #pack(Linear, int, int)};
   * {@link Format#BF16_PAIRS} takes only a bf16 matrix.
   */
  public static PackedLinear over(Linear w, MemorySegment dst, Format f) {
    if (f != Format.INT8 && f != Format.of(w.dtype()) && !(f == Format.BF16_PAIRS && w.dtype() == DType.BF16)) {
      throw new IllegalArgumentException(w.name() + ": " + w.dtype() + " does not pack to " + f);
    }
    long bytes = packedBytes(w, f);
    if (dst.byteSize() < bytes) {
      throw new IllegalArgumentException(w.name() + ": " + dst.byteSize() + " bytes for " + bytes + " packed");
    }
    return new PackedLinear(w.name(), w.rows(), w.cols(), f, dst.asSlice(0, bytes));
  }

  /** Packs {@code w} into native memory of {@code arena} (small matrices, tests). */
  public static PackedLinear pack(Linear w, Arena arena) {
    return pack(w, arena, Quantization.NONE);
  }

  /** Packs {@code w} stored as {@code q} says into native memory of {@code arena} (small matrices, tests). */
  public static PackedLinear pack(Linear w, Arena arena, Quantization q) {
    return pack(w, arena, Format.of(w.dtype(), q));
  }

  /** Packs {@code w} in format {@code f} into native memory of {@code arena} (small matrices, tests). */
  public static PackedLinear pack(Linear w, Arena arena, Format f) {
    PackedLinear p = over(w, arena.allocate(Math.max(1, packedBytes(w, f)), 64), f);
    p.pack(w, 0, p.panels());
    return p;
  }

  /** Fills panels {@code [p0, p1)} from {@code w} (the matrix this view was made for). */
  public void pack(Linear w, int p0, int p1) {
    if (w.rows() != rows || w.cols() != cols
        || (format != Format.INT8 && format != Format.BF16_PAIRS && Format.of(w.dtype()) != format)) {
      throw new IllegalArgumentException("packing " + w.name() + " into the view of " + name);
    }
    if (format == Format.INT8) {
      packInt8(w, p0, p1);
      return;
    }
    // A tile of 32 rows x K_TILE columns is copied in bulk, transposed on the heap and copied out in bulk.
    MemorySegment src = w.data();
    boolean wide = w.dtype() == DType.F32;
    short[] in16 = wide ? null : new short[PANEL * K_TILE];
    float[] in32 = wide ? new float[PANEL * K_TILE] : null;
    int[] outBf16 = format != Format.F32 ? new int[K_TILE * 16] : null;
    float[] outF32 = format == Format.F32 ? new float[K_TILE * PANEL] : null;
    long eb = w.dtype().bytes();
    int rb = format.rowBytes;
    for (int p = p0; p < p1; p++) {
      long base = p * panelBytes();
      int n = Math.min(PANEL, rows - p * PANEL);
      if (n < PANEL) {
        if (in16 != null) {
          java.util.Arrays.fill(in16, (short) 0);
        } else {
          java.util.Arrays.fill(in32, 0f);
        }
      }
      for (int k0 = 0; k0 < cols; k0 += K_TILE) {
        int kn = Math.min(K_TILE, cols - k0);
        for (int r = 0; r < n; r++) {
          long at = (((long) p * PANEL + r) * cols + k0) * eb;
          if (wide) {
            MemorySegment.copy(src, FLOAT, at, in32, r * K_TILE, kn);
          } else {
            MemorySegment.copy(src, SHORT, at, in16, r * K_TILE, kn);
          }
        }
        if (format == Format.BF16) {
          for (int k = 0; k < kn; k++) {
            for (int i = 0; i < 16; i++) {
              outBf16[k * 16 + i] = (in16[i * K_TILE + k] & 0xffff) | in16[(16 + i) * K_TILE + k] << 16;
            }
          }
          MemorySegment.copy(outBf16, 0, data, INT, base + (long) k0 * rb, kn * 16);
        } else if (format == Format.BF16_PAIRS) {
          // K_TILE is even: pairs never straddle two tiles. An odd last k-row pairs with zeros.
          int pairs = (kn + 1) / 2;
          for (int j = 0; j < pairs; j++) {
            int k = 2 * j;
            for (int o = 0; o < PANEL; o++) {
              int high = k + 1 < kn ? in16[o * K_TILE + k + 1] << 16 : 0;
              outBf16[j * PANEL + o] = (in16[o * K_TILE + k] & 0xffff) | high;
            }
          }
          MemorySegment.copy(outBf16, 0, data, INT, base + (long) k0 * rb, pairs * PANEL);
        } else {
          for (int k = 0; k < kn; k++) {
            for (int r = 0; r < PANEL; r++) {
              outF32[k * PANEL + r] = wide ? in32[r * K_TILE + k] : Float.float16ToFloat(in16[r * K_TILE + k]);
            }
          }
          MemorySegment.copy(outF32, 0, data, FLOAT, base + (long) k0 * rb, kn * PANEL);
        }
      }
    }
  }

  /**
   * INT8: quantizes each panel's rows (one float row at a time) straight into the panel's k-rows, so no
   * float copy of more than one row exists.
   */
  private void packInt8(Linear w, int p0, int p1) {
    float[] row = new float[cols];
    byte[] out = new byte[cols * PANEL];
    for (int p = p0; p < p1; p++) {
      int n = Math.min(PANEL, rows - p * PANEL);
      if (n < PANEL) {
        java.util.Arrays.fill(out, (byte) 0);
      }
      for (int r = 0; r < n; r++) {
        int o = p * PANEL + r;
        Int8Quantizer.readRow(w, o, row);
        try {
          scales[o] = Int8Quantizer.quantizeRow(row, 0, cols, out, r, PANEL);
        } catch (io.lorafleet.runtime.errors.ModelFormatException e) {
          throw new io.lorafleet.runtime.errors.ModelFormatException(w.name() + " row " + o + ": " + e.getMessage());
        }
      }
      MemorySegment.copy(out, 0, data, ValueLayout.JAVA_BYTE, (long) p * cols * format.rowBytes, cols * PANEL);
    }
  }

  public String name() {
    return name;
  }

  /** INT8: each output's scale ({@code panels * PANEL} floats, zero past {@link #rows}); null otherwise. */
  public float[] scales() {
    return scales;
  }

  /** INT8: the code of output {@code o}, input {@code k} (tests). */
  public byte code(int o, int k) {
    if (format != Format.INT8) {
      throw new IllegalStateException(name + " is not int8");
    }
    return data.get(ValueLayout.JAVA_BYTE, (long) (o / PANEL) * panelBytes() + (long) k * format.rowBytes + o % PANEL);
  }

  /** Output features. */
  public int rows() {
    return rows;
  }

  /** Input features (k-rows per panel). */
  public int cols() {
    return cols;
  }

  public Format format() {
    return format;
  }

  public int panels() {
    return panels(rows);
  }

  /** Bytes of one panel. */
  public long panelBytes() {
    return (long) storedRows(format, cols) * format.rowBytes;
  }

  /** K-rows stored per panel (input features, padded with zeros to a multiple of 32 for BF16_PAIRS). */
  public int storedRows() {
    return storedRows(format, cols);
  }

  public MemorySegment data() {
    return data;
  }

  /** Bytes of the packed weights (INT8: codes plus scales). */
  public long bytes() {
    return data.byteSize() + (scales == null ? 0 : 4L * scales.length);
  }

  /** The weight of output {@code o}, input {@code k}, as float (tests). */
  public float weight(int o, int k) {
    long row = (long) (o / PANEL) * panelBytes() + (long) k * format.rowBytes;
    int r = o % PANEL;
    return switch (format) {
      case BF16 -> Float.intBitsToFloat((data.get(SHORT, row + (r < 16 ? 4L * r : 4L * (r - 16) + 2)) & 0xffff) << 16);
      case BF16_PAIRS -> Float.intBitsToFloat((data.get(SHORT, row - (k & 1) * 64L + 4L * r + 2L * (k & 1)) & 0xffff) << 16);
      case F32 -> data.get(FLOAT, row + 4L * r);
      case INT8 -> Int8Quantizer.dequantize(data.get(ValueLayout.JAVA_BYTE, row + r), scales[o]);
    };
  }
}
