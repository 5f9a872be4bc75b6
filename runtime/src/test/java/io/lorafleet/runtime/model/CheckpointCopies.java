package io.lorafleet.runtime.model;

import io.lorafleet.runtime.format.SafetensorsFile;
import io.lorafleet.runtime.format.SafetensorsWriter;
import io.lorafleet.runtime.format.TensorView;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;

/** Test copies of fixture directories with some tensors changed, dropped or added. */
final class CheckpointCopies {
  private CheckpointCopies() {}

  /** Copies every file of {@code src} except the safetensors file named {@code weights} into {@code dst}. */
  static void copyOthers(Path src, Path dst, String weights) {
    try (Stream<Path> files = Files.list(src)) {
      Files.createDirectories(dst);
      for (Path f : files.toList()) {
        if (!f.getFileName().toString().equals(weights)) {
          Files.copy(f, dst.resolve(f.getFileName()));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Rewrites {@code src/weights} into {@code dst/weights}, keeping tensors {@code keep} accepts, plus {@code extra}. */
  static void rewrite(Path src, Path dst, String weights, Predicate<TensorView> keep, Map<String, float[]> extra)
      throws IOException {
    try (SafetensorsFile in = SafetensorsFile.open(src.resolve(weights));
        SafetensorsWriter out = new SafetensorsWriter(dst.resolve(weights), Map.of())) {
      for (TensorView t : in.tensors().values()) {
        if (keep.test(t)) {
          out.add(t.name(), t.dtype(), t.shape(), buf -> buf.put(t.data().asByteBuffer()));
        }
      }
      extra.forEach((name, v) -> out.add(name, io.lorafleet.runtime.format.DType.F32, new long[] {v.length}, v));
    }
  }
}
