package io.lorafleet.cuda;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * cuBLAS through the FFM API: the six functions the backend calls, bound by hand. JCuda's own cuBLAS
 * binding links libcublas.so.12 and does not load where only CUDA 13 is installed; this finds whichever
 * cuBLAS is there (13 or 12; 12 runs on a CUDA 13 driver): the path in {@code LORAFLEET_CUBLAS} or
 * {@code -Dlorafleet.cuda.cublas}, the loader's search path, the CUDA toolkit, and the NVIDIA wheels
 * ({@code site-packages/nvidia/*}{@code /lib}) of Python installs and virtual environments ({@link
 * #pythonLibDirs}).
 */
final class CublasLibrary {
  private static final Logger log = LoggerFactory.getLogger(CublasLibrary.class);
  private static final Linker LINKER = Linker.nativeLinker();
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
  private static final java.lang.foreign.AddressLayout ADDR = ValueLayout.ADDRESS;

  static final int CUBLAS_OP_N = 0;
  static final int CUBLAS_OP_T = 1;
  static final int CUDA_R_32F = 0;
  static final int CUDA_R_16BF = 14;
  static final int CUBLAS_COMPUTE_32F = 68;
  static final int CUBLAS_GEMM_DEFAULT = -1;

  private final String path;
  private final MethodHandle create;
  private final MethodHandle destroy;
  private final MethodHandle setStream;
  private final MethodHandle getVersion;
  private final MethodHandle gemmEx;
  private final MethodHandle setWorkspace;

  private CublasLibrary(String path, SymbolLookup lib) {
    this.path = path;
    create = bind(lib, "cublasCreate_v2", FunctionDescriptor.of(INT, ADDR));
    destroy = bind(lib, "cublasDestroy_v2", FunctionDescriptor.of(INT, ADDR));
    setStream = bind(lib, "cublasSetStream_v2", FunctionDescriptor.of(INT, ADDR, ADDR));
    getVersion = bind(lib, "cublasGetVersion_v2", FunctionDescriptor.of(INT, ADDR, ADDR));
    gemmEx = bind(lib, "cublasGemmEx", FunctionDescriptor.of(INT,
        ADDR, INT, INT, INT, INT, INT, ADDR, ADDR, INT, INT, ADDR, INT, INT, ADDR, ADDR, INT, INT, INT, INT));
    setWorkspace = bind(lib, "cublasSetWorkspace_v2", FunctionDescriptor.of(INT, ADDR, ADDR, ValueLayout.JAVA_LONG));
  }

  @SuppressWarnings("restricted")
  private static MethodHandle bind(SymbolLookup lib, String name, FunctionDescriptor fd) {
    MemorySegment fn = lib.find(name).orElseThrow(() -> new IllegalArgumentException("no symbol " + name));
    return LINKER.downcallHandle(fn, fd);
  }

  String path() {
    return path;
  }

  /** The first cuBLAS that loads with every symbol, or empty (each failure logged at debug). */
  @SuppressWarnings("restricted")
  static Optional<CublasLibrary> load() {
    for (String candidate : candidates()) {
      try {
        SymbolLookup lib;
        if (candidate.contains("/")) {
          Path p = Path.of(candidate);
          preloadLt(p);
          lib = SymbolLookup.libraryLookup(p, Arena.global());
        } else {
          lib = SymbolLookup.libraryLookup(candidate, Arena.global());
        }
        CublasLibrary c = new CublasLibrary(candidate, lib);
        log.debug("cuBLAS loaded from {}", candidate);
        return Optional.of(c);
      } catch (IllegalArgumentException | UnsatisfiedLinkError e) {
        log.debug("cuBLAS not loaded from {}: {}", candidate, e.getMessage());
      }
    }
    return Optional.empty();
  }

  /** Loads libcublasLt next to libcublas first, so that the latter's dependency resolves by soname. */
  @SuppressWarnings("restricted")
  private static void preloadLt(Path cublas) {
    String name = cublas.getFileName().toString().replace("libcublas.", "libcublasLt.");
    Path lt = cublas.resolveSibling(name);
    if (Files.exists(lt)) {
      try {
        SymbolLookup.libraryLookup(lt, Arena.global());
      } catch (IllegalArgumentException e) {
        log.debug("{} not loaded: {}", lt, e.getMessage());
      }
    }
  }

  /** The message when no cuBLAS loads: where it looked and what to do. */
  static String notFound() {
    return "cuBLAS not found (looked for " + candidates() + "): set LORAFLEET_CUBLAS to the path of libcublas.so.13"
        + " or .12 (pip's nvidia-cublas wheel has it under site-packages/nvidia/cublas/lib), or"
        + " -Dlorafleet.cuda.gemm=kernel to run the products on the own (much slower) kernel";
  }

  static List<String> candidates() {
    List<String> out = new ArrayList<>();
    String explicit = System.getProperty("lorafleet.cuda.cublas", System.getenv("LORAFLEET_CUBLAS"));
    if (explicit != null && !explicit.isBlank()) {
      out.add(explicit);
    }
    out.add("libcublas.so.13");
    out.add("libcublas.so.12");
    List<Path> roots = new ArrayList<>(List.of(Path.of("/usr/local/cuda/lib64"),
        Path.of("/usr/local/cuda/targets/x86_64-linux/lib"), Path.of("/usr/lib/x86_64-linux-gnu")));
    roots.addAll(glob(Path.of("/usr/local"), "cuda-*", "lib64"));
    for (Path lib : pythonLibDirs()) {
      for (Path site : glob(lib, "python3*", null)) {
        for (String kind : List.of("site-packages", "dist-packages")) {
          Path nvidia = site.resolve(kind).resolve("nvidia");
          roots.addAll(glob(nvidia, "*", "lib"));
        }
      }
    }
    for (Path root : roots) {
      for (String v : List.of("13", "12")) {
        Path p = root.resolve("libcublas.so." + v);
        if (Files.exists(p)) {
          out.add(p.toString());
        }
      }
    }
    return out;
  }

  /**
   * The {@code lib} folders Python installs keep their packages under: the system's, conda's, the user's,
   * the active virtual environment ({@code VIRTUAL_ENV}, {@code CONDA_PREFIX}), the environment of every
   * {@code python3} on the PATH, and virtual environments in the usual places ({@code ~/.venv}, {@code
   * ~/venv*}, {@code /opt/*}, {@code /opt/conda/envs/*}, {@code /tmp/*}).
   */
  static List<Path> pythonLibDirs() {
    Path home = Path.of(System.getProperty("user.home", "/root"));
    List<Path> out = new ArrayList<>(List.of(Path.of("/usr/local/lib"), Path.of("/usr/lib"), Path.of("/opt/conda/lib"),
        home.resolve(".local/lib")));
    for (String env : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
      String v = System.getenv(env);
      if (v != null && !v.isBlank()) {
        out.add(Path.of(v, "lib"));
      }
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(java.io.File.pathSeparator)) {
        if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "python3"))) {
          Path parent = Path.of(dir).toAbsolutePath().getParent();
          if (parent != null) {
            out.add(parent.resolve("lib"));
          }
        }
      }
    }
    for (Path venvs : List.of(home, Path.of("/opt"), Path.of("/opt/conda/envs"), Path.of("/tmp"))) {
      for (Path env : glob(venvs, "*", null)) {
        if (Files.isRegularFile(env.resolve("pyvenv.cfg")) || Files.isDirectory(env.resolve("conda-meta"))) {
          out.add(env.resolve("lib"));
        }
      }
    }
    return out.stream().distinct().toList();
  }

  private static List<Path> glob(Path dir, String pattern, String child) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      var matcher = dir.getFileSystem().getPathMatcher("glob:" + pattern);
      return s.filter(p -> matcher.matches(p.getFileName()))
          .map(p -> child == null ? p : p.resolve(child))
          .filter(Files::isDirectory)
          .sorted()
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  // ---- calls (status codes checked by the caller through check())

  MemorySegment createHandle() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment out = a.allocate(ADDR);
      check((int) create.invokeExact(out), "cublasCreate");
      return out.get(ADDR, 0);
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new GpuException("cublasCreate: " + t);
    }
  }

  void destroyHandle(MemorySegment handle) {
    try {
      check((int) destroy.invokeExact(handle), "cublasDestroy");
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new GpuException("cublasDestroy: " + t);
    }
  }

  void setStream(MemorySegment handle, long stream) {
    try {
      check((int) setStream.invokeExact(handle, MemorySegment.ofAddress(stream)), "cublasSetStream");
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new GpuException("cublasSetStream: " + t);
    }
  }

  /**
   * Gives cuBLAS a workspace of its own on the device, so that it allocates nothing while a stream is being
   * captured into a graph (cuBLAS inside a CUDA graph needs this).
   */
  void setWorkspace(MemorySegment handle, long address, long bytes) {
    try {
      check((int) setWorkspace.invokeExact(handle, MemorySegment.ofAddress(address), bytes), "cublasSetWorkspace");
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new GpuException("cublasSetWorkspace: " + t);
    }
  }

  int version(MemorySegment handle) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment out = a.allocate(INT);
      check((int) getVersion.invokeExact(handle, out), "cublasGetVersion");
      return out.get(INT, 0);
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new GpuException("cublasGetVersion: " + t);
    }
  }

  int gemmEx(MemorySegment handle, int transa, int transb, int m, int n, int k, MemorySegment alpha, long a, int aType,
      int lda, long b, int bType, int ldb, MemorySegment beta, long c, int cType, int ldc, int computeType, int algo) {
    try {
      return (int) gemmEx.invokeExact(handle, transa, transb, m, n, k, alpha, MemorySegment.ofAddress(a), aType, lda,
          MemorySegment.ofAddress(b), bType, ldb, beta, MemorySegment.ofAddress(c), cType, ldc, computeType, algo);
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new GpuException("cublasGemmEx: " + t);
    }
  }

  static void check(int status, String what) {
    if (status != 0) {
      throw new GpuException(what + " failed: cuBLAS status " + status + " (" + statusName(status) + ")");
    }
  }

  static String statusName(int status) {
    return switch (status) {
      case 1 -> "NOT_INITIALIZED";
      case 3 -> "ALLOC_FAILED";
      case 7 -> "INVALID_VALUE";
      case 8 -> "ARCH_MISMATCH";
      case 11 -> "MAPPING_ERROR";
      case 13 -> "EXECUTION_FAILED";
      case 14 -> "INTERNAL_ERROR";
      case 15 -> "NOT_SUPPORTED";
      case 16 -> "LICENSE_ERROR";
      default -> "unknown";
    };
  }
}
