package io.lorafleet.tools.synthetic;

import io.lorafleet.runtime.errors.ModelFormatException;
import io.lorafleet.runtime.format.DType;
import io.lorafleet.runtime.format.SafetensorsFile;
import io.lorafleet.runtime.format.SafetensorsWriter;
import io.lorafleet.runtime.format.TensorView;
import io.lorafleet.runtime.model.LoraAdapter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Writes random-weight copies of a PEFT LoRA adapter: each copy has the template's {@code
 * adapter_config.json} and the same tensors (names, types, shapes) filled with Gaussian values whose scale is
 * the template tensor's root mean square (or {@link #FALLBACK_SCALE} for an all-zero tensor, such as an
 * untrained {@code lora_B}). Copy {@code i} depends only on the seed and {@code i}, so copies are written in
 * parallel and any one can be rebuilt alone.
 */
public final class RandomAdapterWriter {
  /** Standard deviation used where the template tensor is all zeros. */
  public static final double FALLBACK_SCALE = 0.02;
  static final String CONFIG_FILE = "adapter_config.json";

  /** One tensor of the template: what every copy declares, and the scale of its random values. */
  private record TensorSpec(String name, DType dtype, long[] shape, int elements, double scale) {}

  private final Path template;
  private final List<TensorSpec> tensors;

  private RandomAdapterWriter(Path template, List<TensorSpec> tensors) {
    this.template = template;
    this.tensors = tensors;
  }

  /** Reads the template adapter directory (its config and the header and scale of each tensor). */
  public static RandomAdapterWriter like(Path template) {
    if (!Files.isRegularFile(template.resolve(CONFIG_FILE))) {
      throw new ModelFormatException(template + ": no " + CONFIG_FILE + " (not a PEFT adapter directory)");
    }
    List<TensorSpec> specs = new ArrayList<>();
    try (SafetensorsFile st = SafetensorsFile.open(template.resolve(LoraAdapter.WEIGHTS_FILE))) {
      for (TensorView t : st.tensors().values()) {
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE - 8) {
          throw new ModelFormatException(template + ": tensor " + t.name() + " is too large to copy");
        }
        double sum = 0;
        for (long i = 0; i < n; i++) {
          double v = t.getFloat(i);
          sum += v * v;
        }
        double rms = n == 0 ? 0 : Math.sqrt(sum / n);
        specs.add(new TensorSpec(t.name(), t.dtype(), t.shape().clone(), (int) n,
            rms > 0 && Double.isFinite(rms) ? rms : FALLBACK_SCALE));
      }
    }
    if (specs.isEmpty()) {
      throw new ModelFormatException(template + ": the adapter has no tensors");
    }
    return new RandomAdapterWriter(template, List.copyOf(specs));
  }

  /**
   * The directory name of copy {@code index} of {@code count}: {@code prefix} and the index, zero-padded to
   * at least four digits ({@code adapter-0000}), so names sort in index order.
   */
  public static String name(String prefix, int index, int count) {
    int width = Math.max(4, Integer.toString(Math.max(0, count - 1)).length());
    return prefix + String.format("%0" + width + "d", index);
  }

  /**
   * Writes copies {@code 0 .. count-1} as {@code out/<prefix><index>}; existing copies of the same name are
   * overwritten. Returns their directories in index order.
   */
  public List<Path> write(Path out, String prefix, int count, long seed) {
    if (count < 0) {
      throw new IllegalArgumentException("count must be >= 0, got " + count);
    }
    try {
      Files.createDirectories(out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + out + ": " + e.getMessage(), e);
    }
    return IntStream.range(0, count).parallel()
        .mapToObj(i -> writeOne(out.resolve(name(prefix, i, count)), new SplittableRandom(mix(seed, i))))
        .toList();
  }

  private Path writeOne(Path dir, SplittableRandom random) {
    try {
      Files.createDirectories(dir);
      Files.copy(template.resolve(CONFIG_FILE), dir.resolve(CONFIG_FILE), StandardCopyOption.REPLACE_EXISTING);
      try (SafetensorsWriter w = new SafetensorsWriter(dir.resolve(LoraAdapter.WEIGHTS_FILE),
          Map.of("format", "pt", "generator", "lorafleet make-adapters"))) {
        for (TensorSpec t : tensors) {
          float[] values = new float[t.elements()];
          for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * t.scale());
          }
          w.add(t.name(), t.dtype(), t.shape(), values);
        }
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write adapter " + dir + ": " + e.getMessage(), e);
    }
  }

  /** A per-copy seed: copy {@code i}'s values do not depend on how many copies are written. */
  private static long mix(long seed, int index) {
    long z = seed + 0x9E3779B97F4A7C15L * (index + 1L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
