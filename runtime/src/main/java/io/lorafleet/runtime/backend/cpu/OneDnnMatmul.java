package io.lorafleet.runtime.backend.cpu;

import io.lorafleet.runtime.backend.NativeGemm;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optional native accelerator for the large products (prefill, batched decode): oneDNN's bf16 matmul
 * ({@code libdnnl.so.2}, Debian package {@code libdnnl2}) through the FFM API. On a CPU with AVX512-BF16 it
 * runs {@code vdpbf16ps}, two products per float lane and instruction, which the Vector API cannot emit.
 *
 * <p>The weights are the {@link PackedLinear} panels themselves, multiplied in place: with the native GEMM on
 * the backend packs bf16 weights as {@link PackedLinear.Format#BF16_PAIRS}, oneDNN's {@code BA16a32b2a} for {@code W^T} (checked against the primitive's own description when it is
 * created), so there is one copy of the model whichever path runs. The input rows are rounded to bf16
 * (round to nearest even) into a native buffer once per product group; the f32 result comes back from a
 * native buffer. Sums run in oneDNN's order on bf16-rounded inputs: results differ from the Vector-API
 * kernels in the last bits (greedy parity on the fixtures holds; a row's logits depend on whether its
 * batch took this path).
 *
 * <p>Threads: the Debian build uses OpenMP (libgomp). Before the library is loaded {@code OMP_WAIT_POLICY}
 * is set to {@code passive} (unless set), so its threads sleep instead of spinning against the engine's
 * {@link WorkerPool} between products; primitives are created for the backend's thread count ({@code
 * omp_set_num_threads} on the creating thread) and run from the calling thread while the pool is idle.
 */
public final class OneDnnMatmul implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OneDnnMatmul.class);
  /** Smallest number of input rows sent to oneDNN (below it the Vector-API kernels win or tie). */
  public static final int DEFAULT_MIN_ROWS = Integer.getInteger("lorafleet.cpu.native-gemm-min-rows", 16);
  private static final int DNNL_CPU = 1;
  private static final int DNNL_BF16 = 2;
  private static final int DNNL_F32 = 3;
  private static final int TAG_AB = 3;
  private static final int TAG_BA16A32B2A = 378;
  private static final int QUERY_IMPL_INFO_STR = 8;
  private static final int QUERY_WEIGHTS_MD = 131;
  private static final int ARG_SRC = 1;
  private static final int ARG_DST = 17;
  private static final int ARG_WEIGHTS = 33;
  private static final int MEMORY_DESC_BYTES = 696;
  private static final int MATMUL_DESC_BYTES = 2800;
  private static final int MAX_PRIMITIVES = 256;
  private static final AddressLayout PTR = ValueLayout.ADDRESS;
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
  private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Short> S = VectorSpecies.of(short.class,
      VectorShape.forBitSize(F.vectorBitSize() / 2));

  private static volatile Api api;
  private static String unavailable;

  private final int threads;
  private final MemorySegment engine;
  private final MemorySegment stream;
  private final Map<Shape, Primitive> primitives = new HashMap<>();
  private final Arena buffers = Arena.ofShared();
  private MemorySegment src = MemorySegment.NULL;
  private MemorySegment dst = MemorySegment.NULL;
  private String impl = "";
  private boolean closed;

  private record Shape(int m, int k, int n) {}

  private record Primitive(MemorySegment pd, MemorySegment prim, MemorySegment srcMd, MemorySegment weightsMd,
      MemorySegment dstMd) {}

  private OneDnnMatmul(Api a, int threads) throws Throwable {
    this.threads = threads;
    try (Arena tmp = Arena.ofConfined()) {
      MemorySegment out = tmp.allocate(PTR);
      check((int) a.engineCreate.invokeExact(out, DNNL_CPU, 0L), "dnnl_engine_create");
      this.engine = out.get(PTR, 0);
      check((int) a.streamCreate.invokeExact(out, engine, 1), "dnnl_stream_create");
      this.stream = out.get(PTR, 0);
    }
  }

  /**
   * The accelerator for a backend of {@code threads} threads under {@code mode}: empty for {@code off}, or
   * for {@code auto} where the library is missing or has no native bf16 matmul for this CPU; {@code on}
   * throws in those cases.
   */
  public static Optional<OneDnnMatmul> open(NativeGemm mode, int threads) {
    if (mode == NativeGemm.OFF) {
      return Optional.empty();
    }
    Optional<String> why = unavailableReason();
    if (why.isPresent()) {
      if (mode == NativeGemm.ON) {
        throw new IllegalStateException("native GEMM forced on, but " + why.get());
      }
      log.info("native GEMM off: {}; the Vector-API kernels run every product", why.get());
      return Optional.empty();
    }
    try {
      OneDnnMatmul m = new OneDnnMatmul(api, threads);
      // A probe product tells which implementation oneDNN picks on this CPU.
      String probe = m.probe();
      boolean nativeBf16 = probe.startsWith("brg") && (probe.contains("bf16") || probe.contains("amx"));
      if (!nativeBf16 && mode == NativeGemm.AUTO) {
        log.info("native GEMM off: oneDNN picks '{}' here (no AVX512-BF16 or AMX); the Vector-API kernels run", probe);
        m.close();
        return Optional.empty();
      }
      log.info("native GEMM on: oneDNN {} '{}' for products of {}+ rows, {} threads", api.version, probe,
          DEFAULT_MIN_ROWS, threads);
      return Optional.of(m);
    } catch (Throwable t) {
      if (mode == NativeGemm.ON) {
        throw new IllegalStateException("native GEMM forced on, but oneDNN failed: " + t.getMessage(), t);
      }
      log.warn("native GEMM off: oneDNN failed ({}); the Vector-API kernels run", t.toString());
      return Optional.empty();
    }
  }

  /** Why the library cannot be used here, or empty when it loads. */
  public static synchronized Optional<String> unavailableReason() {
    if (api == null && unavailable == null) {
      try {
        api = Api.load();
      } catch (Throwable t) {
        unavailable = "libdnnl.so.2 not loadable (" + t.getMessage()
            + "; on Debian/Ubuntu: apt-get install libdnnl2)";
      }
    }
    return Optional.ofNullable(unavailable);
  }

  /** oneDNN's name of the implementation it runs (e.g. {@code brg:avx512_core_bf16}). */
  public String implementation() {
    return impl;
  }

  public int threads() {
    return threads;
  }

  private String probe() throws Throwable {
    try (Arena a = Arena.ofConfined()) {
      PackedLinear w = PackedLinear.pack(new io.lorafleet.runtime.model.Linear("probe",
          io.lorafleet.runtime.format.DType.BF16, 64, 64, a.allocate(64 * 64 * 2, 64)), a,
          PackedLinear.Format.BF16_PAIRS);
      float[] x = new float[32 * 64];
      float[] y = new float[32 * 64];
      multiply(w, x, 64, 32, y, 64);
    }
    return impl;
  }

  /**
   * {@code y[t * yStride + o] = W[o] . round_bf16(x[t * xStride ..])} for {@code t < rows}, every output
   * {@code o} of {@code w} (a BF16 panel matrix).
   */
  public synchronized void multiply(PackedLinear w, float[] x, int xStride, int rows, float[] y, int yStride) {
    prepareInput(x, xStride, rows, w.cols(), 0, rows);
    multiplyPrepared(w, rows, y, yStride);
  }

  /**
   * Rounds input rows {@code [r0, r1)} of {@code rows} (each {@code k} floats) to bf16 into the native input
   * buffer (threads may prepare disjoint row ranges); {@link #multiplyPrepared} then reads them.
   */
  public void prepareInput(float[] x, int xStride, int rows, int k, int r0, int r1) {
    ensureInput((long) rows * k * 2);
    MemorySegment s = src;
    int n = F.length();
    for (int r = r0; r < r1; r++) {
      int xo = r * xStride;
      long so = (long) r * k * 2;
      int i = 0;
      for (; i + n <= k; i += n) {
        IntVector bits = FloatVector.fromArray(F, x, xo + i).reinterpretAsInts();
        // Round to nearest even: add 0x7fff plus the lowest kept bit, keep the high half.
        IntVector rounded = bits.add(bits.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7fff)
            .lanewise(VectorOperators.LSHR, 16);
        ShortVector sv = (ShortVector) rounded.convertShape(VectorOperators.I2S, S, 0);
        sv.intoMemorySegment(s, so + 2L * i, NATIVE);
      }
      for (; i < k; i++) {
        s.set(ValueLayout.JAVA_SHORT, so + 2L * i, toBf16(x[xo + i]));
      }
    }
  }

  /** Sizes the native input buffer for {@code bytes} (call before threads prepare rows). */
  public synchronized void ensureInput(long bytes) {
    if (src.byteSize() < bytes) {
      src = buffers.allocate(Math.max(bytes, 2 * src.byteSize()), 64);
    }
  }

  static short toBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
  }

  /** The product over input rows prepared before; writes {@code y[t * yStride + o]}. */
  public synchronized void multiplyPrepared(PackedLinear w, int rows, float[] y, int yStride) {
    if (w.format() != PackedLinear.Format.BF16_PAIRS) {
      throw new IllegalArgumentException(w.name() + " is not packed as BF16_PAIRS (oneDNN's layout)");
    }
    if (closed) {
      throw new IllegalStateException("native GEMM closed");
    }
    int k = w.cols();
    int n = w.rows();
    long dstBytes = (long) rows * n * 4;
    if (dst.byteSize() < dstBytes) {
      dst = buffers.allocate(Math.max(dstBytes, 2 * dst.byteSize()), 64);
    }
    Api a = api;
    try (Arena call = Arena.ofConfined()) {
      Primitive p = primitive(a, w, rows, k, n);
      MemorySegment out = call.allocate(PTR);
      check((int) a.memoryCreate.invokeExact(out, p.srcMd(), engine, src), "dnnl_memory_create(src)");
      MemorySegment ms = out.get(PTR, 0);
      check((int) a.memoryCreate.invokeExact(out, p.weightsMd(), engine, w.data()), "dnnl_memory_create(weights)");
      MemorySegment mw = out.get(PTR, 0);
      check((int) a.memoryCreate.invokeExact(out, p.dstMd(), engine, dst), "dnnl_memory_create(dst)");
      MemorySegment md = out.get(PTR, 0);
      try {
        MemorySegment args = call.allocate(16L * 3, 8);
        args.set(INT, 0, ARG_SRC);
        args.set(PTR, 8, ms);
        args.set(INT, 16, ARG_WEIGHTS);
        args.set(PTR, 24, mw);
        args.set(INT, 32, ARG_DST);
        args.set(PTR, 40, md);
        check((int) a.primitiveExecute.invokeExact(p.prim(), stream, 3, args), "dnnl_primitive_execute");
        check((int) a.streamWait.invokeExact(stream), "dnnl_stream_wait");
      } finally {
        int ignored = (int) a.memoryDestroy.invokeExact(ms);
        ignored = (int) a.memoryDestroy.invokeExact(mw);
        ignored = (int) a.memoryDestroy.invokeExact(md);
      }
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("oneDNN matmul of " + w.name() + ": " + t, t);
    }
    if (yStride == n) {
      MemorySegment.copy(dst, ValueLayout.JAVA_FLOAT, 0, y, 0, rows * n);
    } else {
      for (int t = 0; t < rows; t++) {
        MemorySegment.copy(dst, ValueLayout.JAVA_FLOAT, (long) t * n * 4, y, t * yStride, n);
      }
    }
  }

  private Primitive primitive(Api a, PackedLinear w, int m, int k, int n) throws Throwable {
    Shape key = new Shape(m, k, n);
    Primitive p = primitives.get(key);
    if (p != null) {
      return p;
    }
    if (primitives.size() >= MAX_PRIMITIVES) {
      for (Primitive old : primitives.values()) {
        destroy(a, old);
      }
      primitives.clear();
    }
    Arena arena = buffers;
    MemorySegment srcMd = arena.allocate(MEMORY_DESC_BYTES, 8);
    MemorySegment wMd = arena.allocate(MEMORY_DESC_BYTES, 8);
    MemorySegment dstMd = arena.allocate(MEMORY_DESC_BYTES, 8);
    try (Arena tmp = Arena.ofConfined()) {
      MemorySegment dims = tmp.allocate(LONG, 12);
      dims.set(LONG, 0, m);
      dims.set(LONG, 8, k);
      check((int) a.mdInitByTag.invokeExact(srcMd, 2, dims, DNNL_BF16, TAG_AB), "memory_desc(src)");
      dims.set(LONG, 0, k);
      dims.set(LONG, 8, n);
      check((int) a.mdInitByTag.invokeExact(wMd, 2, dims, DNNL_BF16, TAG_BA16A32B2A), "memory_desc(weights)");
      dims.set(LONG, 0, m);
      dims.set(LONG, 8, n);
      check((int) a.mdInitByTag.invokeExact(dstMd, 2, dims, DNNL_F32, TAG_AB), "memory_desc(dst)");
      long wBytes = (long) a.mdGetSize.invokeExact(wMd);
      if (wBytes != (long) w.panels() * w.panelBytes()) {
        throw new IllegalStateException("oneDNN's BA16a32b2a layout of " + k + "x" + n + " takes " + wBytes
            + " bytes, the panels " + (long) w.panels() * w.panelBytes());
      }
      MemorySegment desc = tmp.allocate(MATMUL_DESC_BYTES, 8);
      check((int) a.matmulDescInit.invokeExact(desc, srcMd, wMd, MemorySegment.NULL, dstMd), "dnnl_matmul_desc_init");
      a.ompSetNumThreads.invokeExact(threads);
      int ignored;
      MemorySegment out = tmp.allocate(PTR);
      check((int) a.pdCreate.invokeExact(out, desc, MemorySegment.NULL, engine, MemorySegment.NULL),
          "dnnl_primitive_desc_create");
      MemorySegment pd = out.get(PTR, 0);
      // The weights layout the primitive reads must be the one described (no hidden reorder).
      MemorySegment used = (MemorySegment) a.pdQueryMd.invokeExact(pd, QUERY_WEIGHTS_MD, 0);
      if (used.address() == 0 || (int) a.mdEqual.invokeExact(used.reinterpret(MEMORY_DESC_BYTES), wMd) == 0) {
        ignored = (int) a.pdDestroy.invokeExact(pd);
        throw new IllegalStateException("oneDNN wants another weights layout than BA16a32b2a");
      }
      check((int) a.pdQuery.invokeExact(pd, QUERY_IMPL_INFO_STR, 0, out), "impl_info_str");
      impl = out.get(PTR, 0).reinterpret(256).getString(0);
      check((int) a.primitiveCreate.invokeExact(out, pd), "dnnl_primitive_create");
      p = new Primitive(pd, out.get(PTR, 0), srcMd, wMd, dstMd);
    }
    primitives.put(key, p);
    return p;
  }

  private static void destroy(Api a, Primitive p) throws Throwable {
    int ignored = (int) a.primitiveDestroy.invokeExact(p.prim());
    ignored = (int) a.pdDestroy.invokeExact(p.pd());
  }

  private static void check(int status, String what) {
    if (status != 0) {
      throw new IllegalStateException(what + " returned dnnl status " + status);
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      for (Primitive p : primitives.values()) {
        destroy(api, p);
      }
      primitives.clear();
      int ignored = (int) api.streamDestroy.invokeExact(stream);
      ignored = (int) api.engineDestroy.invokeExact(engine);
    } catch (Throwable t) {
      log.warn("closing oneDNN: {}", t.toString());
    }
    buffers.close();
  }

  /** The oneDNN (and libgomp) entry points. */
  private record Api(String version, MethodHandle engineCreate, MethodHandle engineDestroy,
      MethodHandle streamCreate, MethodHandle streamDestroy, MethodHandle streamWait, MethodHandle mdInitByTag,
      MethodHandle mdGetSize, MethodHandle mdEqual, MethodHandle matmulDescInit, MethodHandle pdCreate,
      MethodHandle pdDestroy, MethodHandle pdQuery, MethodHandle pdQueryMd, MethodHandle primitiveCreate,
      MethodHandle primitiveDestroy, MethodHandle primitiveExecute, MethodHandle memoryCreate,
      MethodHandle memoryDestroy, MethodHandle ompSetNumThreads) {

    static Api load() throws Throwable {
      Linker linker = Linker.nativeLinker();
      MethodHandle setenv = linker.downcallHandle(linker.defaultLookup().find("setenv").orElseThrow(),
          FunctionDescriptor.of(INT, PTR, PTR, INT));
      try (Arena a = Arena.ofConfined()) {
        // Read by libgomp when it is loaded (with libdnnl, just below); an explicit setting wins.
        int ignored = (int) setenv.invokeExact(a.allocateFrom("OMP_WAIT_POLICY"), a.allocateFrom("passive"), 0);
      }
      SymbolLookup dnnl = SymbolLookup.libraryLookup("libdnnl.so.2", Arena.global());
      SymbolLookup gomp = SymbolLookup.libraryLookup("libgomp.so.1", Arena.global());
      MethodHandle version = linker.downcallHandle(dnnl.find("dnnl_version").orElseThrow(), FunctionDescriptor.of(PTR));
      MemorySegment v = ((MemorySegment) version.invokeExact()).reinterpret(12);
      String ver = v.get(INT, 0) + "." + v.get(INT, 4) + "." + v.get(INT, 8);
      if (v.get(INT, 0) != 2) {
        // The struct sizes and the matmul_desc API below are oneDNN 2.x's (3.x changed both).
        throw new IllegalStateException("libdnnl.so.2 is oneDNN " + ver + ", not 2.x");
      }
      FunctionDescriptor s1 = FunctionDescriptor.of(INT, PTR);
      return new Api(ver,
          h(linker, dnnl, "dnnl_engine_create", FunctionDescriptor.of(INT, PTR, INT, LONG)),
          h(linker, dnnl, "dnnl_engine_destroy", s1),
          h(linker, dnnl, "dnnl_stream_create", FunctionDescriptor.of(INT, PTR, PTR, INT)),
          h(linker, dnnl, "dnnl_stream_destroy", s1),
          h(linker, dnnl, "dnnl_stream_wait", s1),
          h(linker, dnnl, "dnnl_memory_desc_init_by_tag", FunctionDescriptor.of(INT, PTR, INT, PTR, INT, INT)),
          h(linker, dnnl, "dnnl_memory_desc_get_size", FunctionDescriptor.of(LONG, PTR)),
          h(linker, dnnl, "dnnl_memory_desc_equal", FunctionDescriptor.of(INT, PTR, PTR)),
          h(linker, dnnl, "dnnl_matmul_desc_init", FunctionDescriptor.of(INT, PTR, PTR, PTR, PTR, PTR)),
          h(linker, dnnl, "dnnl_primitive_desc_create", FunctionDescriptor.of(INT, PTR, PTR, PTR, PTR, PTR)),
          h(linker, dnnl, "dnnl_primitive_desc_destroy", s1),
          h(linker, dnnl, "dnnl_primitive_desc_query", FunctionDescriptor.of(INT, PTR, INT, INT, PTR)),
          h(linker, dnnl, "dnnl_primitive_desc_query_md", FunctionDescriptor.of(PTR, PTR, INT, INT)),
          h(linker, dnnl, "dnnl_primitive_create", FunctionDescriptor.of(INT, PTR, PTR)),
          h(linker, dnnl, "dnnl_primitive_destroy", s1),
          h(linker, dnnl, "dnnl_primitive_execute", FunctionDescriptor.of(INT, PTR, PTR, INT, PTR)),
          h(linker, dnnl, "dnnl_memory_create", FunctionDescriptor.of(INT, PTR, PTR, PTR, PTR)),
          h(linker, dnnl, "dnnl_memory_destroy", s1),
          linker.downcallHandle(gomp.find("omp_set_num_threads").orElseThrow(), FunctionDescriptor.ofVoid(INT)));
    }

    private static MethodHandle h(Linker linker, SymbolLookup lib, String name, FunctionDescriptor d) {
      return linker.downcallHandle(lib.find(name).orElseThrow(() -> new IllegalStateException("no " + name)), d);
    }
  }
}
