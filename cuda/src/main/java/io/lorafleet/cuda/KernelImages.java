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

  /** The CUDA major version a toolkit version ("13.0") stands for, or 0 when unknown. */
  static int cudaMajor(String nvccVersion) {
    try {
      return Integer.parseInt(nvccVersion.split("\\.")[0]);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** The oldest NVIDIA driver branch that loads what a CUDA {@code major} toolkit builds (13: 580, 12: 525). */
  static int minimumDriver(int major) {
    return switch (major) {
      case 11 -> 450;
      case 12 -> 525;
      case 13 -> 580;
      default -> 0;
    };
  }

  /**
   * Empty when a driver of CUDA API version {@code driverVersion} (e.g. 12040 for 12.4) loads kernels built
   * by {@code m}'s nvcc; otherwise why not and what to do.
   */
  static Optional<String> driverMismatch(Manifest m, int driverVersion) {
    int built = cudaMajor(m.nvccVersion());
    int driverMajor = driverVersion / 1000;
    if (built == 0 || driverMajor >= built) {
      return Optional.empty();
    }
    return Optional.of("the kernels were built by nvcc " + m.nvccVersion() + " and need an NVIDIA driver for CUDA "
        + built + " (driver " + minimumDriver(built) + " or newer); this driver supports CUDA " + driverMajor + "."
        + driverVersion % 1000 / 10 + ": rebuild them with a CUDA " + driverMajor + " nvcc (NVCC=...), or install "
        + "the CUDA forward-compatibility package (see cuda/README.md)");
  }

  /** What to add to a failed cuModuleLoadData's message: the driver's part in it, when that is likely. */
  static String driverHint(int result, int driverVersion) {
    // CUDA_ERROR_INVALID_IMAGE, NO_BINARY_FOR_GPU, INVALID_PTX, UNSUPPORTED_PTX_VERSION
    if (result == 200 || result == 209 || result == 218 || result == 222) {
      return " (the driver supports CUDA " + driverVersion / 1000 + "." + driverVersion % 1000 / 10
          + "; kernels built by a newer nvcc than the driver need an older nvcc or the CUDA forward-compatibility"
          + " package: see cuda/README.md)";
    }
    return "";
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
