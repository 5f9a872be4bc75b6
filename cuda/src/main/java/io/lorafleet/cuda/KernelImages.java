package io.lorafleet.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The compiled kernels on the class path ({@code io/lorafleet/cuda/kernels/}, written by the build's
 * nvcc step): a manifest, then per module {@code <module>.ptx} (compute_80) and {@code
 * <module>.sm_XY.cubin}. For a device, each module's best image is the cubin of its exact architecture,
 * else a cubin of the same major version with a lower minor (binary compatible), else the PTX, which the
 * driver compiles for any architecture from 8.0 up. Pure Java.
 */
final class KernelImages {
  public static final String DIR = "io/lorafleet/cuda/kernels/";
  public static final String MANIFEST = DIR + "manifest.txt";
  /** Oldest architecture the kernels are built for (compute_80). */
  public static final int MIN_COMPUTE_CAPABILITY = 80;

  /** What the build produced. */
  public record Manifest(String nvccVersion, List<String> targets, List<String> modules) {
    public Manifest {
      targets = List.copyOf(targets);
      modules = List.copyOf(modules);
    }

    /** Compute capabilities with cubins, e.g. [80, 90]. */
    public List<Integer> cubinArchitectures() {
      return targets.stream().filter(t -> t.startsWith("sm_")).map(t -> Integer.parseInt(t.substring(3))).toList();
    }

    public boolean hasPtx() {
      return targets.contains("compute_80");
    }
  }

  /** One module's image for a device: a resource and whether the driver must JIT-compile it. */
  public record Image(String module, String resource, boolean ptx) {}

  private KernelImages() {}

  /** The manifest, or empty when the kernels were not built (no nvcc at build time). */
  public static Optional<Manifest> manifest() {
    byte[] bytes = read(MANIFEST);
    if (bytes == null) {
      return Optional.empty();
    }
    return Optional.of(parse(new String(bytes, StandardCharsets.UTF_8)));
  }

  static Manifest parse(String text) {
    String nvcc = "?";
    List<String> targets = new ArrayList<>();
    List<String> modules = new ArrayList<>();
    for (String line : text.split("\n")) {
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      String[] f = l.split("\\s+");
      switch (f[0]) {
        case "nvcc" -> nvcc = f.length > 1 ? f[1] : "?";
        case "targets" -> targets.addAll(Arrays.asList(f).subList(1, f.length));
        case "module" -> modules.add(f[1]);
        default -> { }
      }
    }
    return new Manifest(nvcc, targets, modules);
  }

  /**
   * The images to load on a device of compute capability {@code cc} (major * 10 + minor); empty when the
   * device is older than the kernels support.
   */
  public static Optional<List<Image>> select(Manifest m, int cc) {
    if (cc < MIN_COMPUTE_CAPABILITY) {
      return Optional.empty();
    }
    Integer cubin = null;
    for (int arch : m.cubinArchitectures()) {
      if (arch / 10 == cc / 10 && arch <= cc && (cubin == null || arch > cubin)) {
        cubin = arch;
      }
    }
    if (cubin == null && !m.hasPtx()) {
      return Optional.empty();
    }
    List<Image> out = new ArrayList<>();
    for (String module : m.modules()) {
      out.add(cubin != null ? new Image(module, DIR + module + ".sm_" + cubin + ".cubin", false)
          : new Image(module, DIR + module + ".ptx", true));
    }
    return Optional.of(out);
  }

  /** The bytes to hand to cuModuleLoadData (PTX text is NUL-terminated). */
  public static byte[] bytes(Image image) {
    byte[] b = read(image.resource());
    if (b == null) {
      throw new IllegalStateException("kernel image " + image.resource() + " is missing from the class path");
    }
    return image.ptx() ? Arrays.copyOf(b, b.length + 1) : b;
  }

  static byte[] read(String resource) {
    try (InputStream in = KernelImages.class.getClassLoader().getResourceAsStream(resource)) {
      return in == null ? null : in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
