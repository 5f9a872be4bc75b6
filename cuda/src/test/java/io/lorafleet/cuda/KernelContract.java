package io.lorafleet.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lorafleet.runtime.backend.ForwardBatch;
import io.lorafleet.runtime.backend.ForwardBatch.AdapterSegment;
import io.lorafleet.runtime.backend.ForwardBatch.SequenceRows;
import io.lorafleet.runtime.backend.RowSampling;
import io.lorafleet.runtime.backend.cpu.VectorKernels;
import io.lorafleet.runtime.engine.Sampler;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.format.LlamaConfig;
import io.lorafleet.runtime.format.RopeScaling;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.model.LoraModule;
import io.lorafleet.runtime.model.LoraTarget;
import io.lorafleet.runtime.model.Rope;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.opentest4j.TestAbortedException;

/**
 * Each kernel against a scalar (or CPU backend) reference on random inputs. Subclasses choose the device:
 * a real GPU, or the CPU emulator running the same kernel sources.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class KernelContract {
  protected Gpu gpu;
  protected Kernels kernels;
  protected GpuStream s;
  protected DeviceIo io;
  private final Random random = new Random(20251123);

  /** Opens the device (or skips the class through an assumption). */
  abstract Gpu openGpu();

  /** Rows of the sampling distribution check (fewer on slow devices). */
  int samplingRows() {
    return 2000;
  }

  private String skipReason;

  @BeforeAll
  void open() {
    try {
      gpu = openGpu();
    } catch (TestAbortedException e) {
      skipReason = e.getMessage().replaceFirst("^Assumption failed: ", "");
      return;
    }
    kernels = new Kernels(gpu);
    s = gpu.computeStream();
  }

  @BeforeEach
  void buffers() {
    assumeTrue(skipReason == null, skipReason);
    io = new DeviceIo(gpu);
  }

  @AfterEach
  void freeBuffers() {
    if (io != null) {
      io.close();
      io = null;
    }
  }

  @AfterAll
  void close() {
    if (gpu != null) {
      gpu.close();
    }
  }

  // ---------------------------------------------------------------- helpers

  float[] randoms(int n, float scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (random.nextGaussian() * scale);
    }
    return v;
  }

  short[] bf16s(int n, float scale) {
    short[] v = new short[n];
    for (int i = 0; i < n; i++) {
      v[i] = Bf16.fromFloat((float) (random.nextGaussian() * scale));
    }
    return v;
  }

  static void assertClose(float[] expected, float[] actual, double tol, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    double worst = 0;
    int at = -1;
    for (int i = 0; i < expected.length; i++) {
      double d = Math.abs(expected[i] - actual[i]) / Math.max(1.0, Math.abs(expected[i]));
      if (!(d <= worst)) {
        worst = d;
        at = i;
      }
    }
    double w = worst;
    int a = at;
    assertTrue(w <= tol, () -> what + ": differs by " + w + " at " + a + " (expected " + expected[a] + ", got "
        + actual[a] + ")");
  }

  private void sync() {
    gpu.synchronize(s);
  }

  // ---------------------------------------------------------------- element-wise kernels

  @Test
  void embedRowsGathersAndWidens() {
    int vocab = 37;
    int hidden = 96;
    short[] table = bf16s(vocab * hidden, 1f);
    int[] tokens = {5, 0, 36, 5, 17, 2, 9, 11, 30};
    long x = io.zeros(4L * tokens.length * hidden);
    kernels.embedRows(s, x, io.shorts(table), io.ints(tokens), tokens.length, hidden);
    sync();
    float[] got = io.readFloats(x, tokens.length * hidden);
    for (int r = 0; r < tokens.length; r++) {
      for (int i = 0; i < hidden; i++) {
        assertEquals(Bf16.toFloat(table[tokens[r] * hidden + i]), got[r * hidden + i], 0f);
      }
    }
  }

  @Test
  void residualRmsnormAddsBothHalvesAndNormalizes() {
    int rows = 5;
    int hidden = 160;
    float eps = 1e-5f;
    float[] x = randoms(rows * hidden, 1.5f);
    float[] add = randoms(2 * rows * hidden, 0.7f);
    float[] w = randoms(hidden, 1f);
    long xd = io.floats(x);
    long out = io.zeros(2L * 2 * rows * hidden);
    kernels.residualRmsnorm(s, xd, io.floats(add), hidden, (long) rows * hidden, io.floats(w), eps, 0, rows, hidden,
        out);
    sync();
    float[] x2 = new float[rows * hidden];
    for (int i = 0; i < x2.length; i++) {
      x2[i] = x[i] + (add[i] + add[rows * hidden + i]);
    }
    assertClose(x2, io.readFloats(xd, rows * hidden), 1e-6, "residual");
    float[] expected = new float[rows * hidden];
    for (int r = 0; r < rows; r++) {
      VectorKernels.rmsNorm(x2, r * hidden, w, eps, expected, r * hidden, hidden);
    }
    assertClose(expected, io.readSplit(out, rows, hidden), 3e-5, "rmsnorm");
  }

  @Test
  void residualRmsnormGathersRows() {
    int rows = 6;
    int hidden = 64;
    float eps = 1e-6f;
    float[] x = randoms(rows * hidden, 2f);
    float[] w = randoms(hidden, 1f);
    int[] pick = {1, 4};
    long out = io.zeros(2L * 2 * pick.length * hidden);
    kernels.residualRmsnorm(s, io.floats(x), 0, hidden, 0, io.floats(w), eps, io.ints(pick), pick.length, hidden, out);
    sync();
    float[] expected = new float[pick.length * hidden];
    for (int i = 0; i < pick.length; i++) {
      VectorKernels.rmsNorm(x, pick[i] * hidden, w, eps, expected, i * hidden, hidden);
    }
    assertClose(expected, io.readSplit(out, pick.length, hidden), 3e-5, "gathered rmsnorm");
  }

  @Test
  void siluMulOnFusedGateUp() {
    int rows = 4;
    int inter = 300;
    int ld = 2 * inter;
    float[] gu = randoms(2 * rows * ld, 2f);
    long out = io.zeros(2L * 2 * rows * inter);
    kernels.siluMul(s, io.floats(gu), ld, (long) rows * ld, inter, rows, out);
    sync();
    float[] expected = new float[rows * inter];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < inter; c++) {
        float g = gu[r * ld + c] + gu[(rows + r) * ld + c];
        float u = gu[r * ld + inter + c] + gu[(rows + r) * ld + inter + c];
        expected[r * inter + c] = (float) (g / (1.0 + Math.exp(-g))) * u;
      }
    }
    assertClose(expected, io.readSplit(out, rows, inter), 3e-5, "silu_mul");
  }

  @Test
  void foldRowsAddsHalves() {
    int rows = 3;
    int cols = 500;
    int ld = 520;
    float[] y = randoms(2 * rows * ld, 3f);
    long out = io.zeros(4L * rows * cols);
    kernels.foldRows(s, io.floats(y), ld, (long) rows * ld, cols, rows, out);
    sync();
    float[] expected = new float[rows * cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        expected[r * cols + c] = y[r * ld + c] + y[(rows + r) * ld + c];
      }
    }
    assertArrayEquals(expected, io.readFloats(out, rows * cols));
  }

  // ---------------------------------------------------------------- RoPE and the cache write

  static LlamaConfig config(int heads, int kvHeads, int headDim, RopeScaling scaling) {
    return new LlamaConfig("LlamaForCausalLM", heads * headDim, 4 * headDim, 2, heads, kvHeads, headDim, 1000, 1e-5,
        500000.0, scaling, 8192, false, 1, List.of(2), "bfloat16");
  }

  @ParameterizedTest
  @CsvSource({"4, 2, 32, false", "8, 2, 64, true", "4, 4, 128, false"})
  void ropeRotatesQueryAndKeyAndWritesTheCache(int heads, int kvHeads, int headDim, boolean llama3) {
    LlamaConfig c = config(heads, kvHeads, headDim,
        llama3 ? RopeScaling.llama3(8.0, 1.0, 4.0, 8192) : RopeScaling.NONE);
    int qd = c.queryDim();
    int kvd = c.kvDim();
    int qkvDim = qd + 2 * kvd;
    int bs = 16;
    int layer = 1;
    long pageFloats = 2L * c.numLayers() * bs * kvd;
    int pages = 6;
    int[] positions = {0, 7, 100, 1000, 3};
    int[] kvPage = {2, 2, 5, 0, 3};
    int[] kvOffset = {0, 7, 4, 8, 3};
    int rows = positions.length;
    float[] qkv = randoms(2 * rows * qkvDim, 1f);
    long pool = io.zeros(4L * pageFloats * pages);
    long q = io.zeros(4L * rows * qd);
    try (RopeTable rope = new RopeTable(gpu, c)) {
      long table = rope.ensure(1000);
      kernels.ropeKvWrite(s, io.floats(qkv), (long) rows * qkvDim, q, table, io.ints(positions), io.ints(kvPage),
          io.ints(kvOffset), pool, pageFloats, 2L * layer * bs * kvd, bs, rows, heads, kvHeads, headDim);
      sync();
    }
    Rope r = new Rope(c);
    float[] cos = new float[headDim / 2];
    float[] sin = new float[headDim / 2];
    float[] expectedQ = new float[rows * qd];
    float[] cache = io.readFloats(pool, (int) pageFloats * pages);
    for (int i = 0; i < rows; i++) {
      float[] row = new float[qkvDim];
      for (int j = 0; j < qkvDim; j++) {
        row[j] = qkv[i * qkvDim + j] + qkv[(rows + i) * qkvDim + j];
      }
      r.angles(positions[i], cos, sin);
      Rope.apply(row, 0, heads, headDim, cos, sin);
      Rope.apply(row, qd, kvHeads, headDim, cos, sin);
      System.arraycopy(row, 0, expectedQ, i * qd, qd);
      int k = (int) (kvPage[i] * pageFloats + 2L * layer * bs * kvd + (long) kvOffset[i] * kvd);
      assertClose(Arrays.copyOfRange(row, qd, qd + kvd), Arrays.copyOfRange(cache, k, k + kvd), 2e-6, "k row " + i);
      int v = k + bs * kvd;
      assertClose(Arrays.copyOfRange(row, qd + kvd, qkvDim), Arrays.copyOfRange(cache, v, v + kvd), 1e-6,
          "v row " + i);
    }
    assertClose(expectedQ, io.readFloats(q, rows * qd), 2e-6, "q");
  }

  // ---------------------------------------------------------------- attention

  /** A step's plan on the device: the packed arrays and their addresses. */
  record DevicePlan(StepPlan plan, long base, Map<StepPlan.Section, Long> offsets) {
    long at(StepPlan.Section s) {
      return base + offsets.get(s);
    }
  }

  DevicePlan upload(StepPlan plan) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment host = arena.allocate(Math.max(plan.bytes(), 16), 16);
      Map<StepPlan.Section, Long> off = plan.writeTo(host);
      long base = io.zeros(plan.bytes() + 16);
      gpu.copyToDevice(base, host.asSlice(0, plan.bytes()), s);
      sync();
      return new DevicePlan(plan, base, off);
    }
  }

  @ParameterizedTest
  @CsvSource({"4, 2, 32", "8, 8, 64", "12, 1, 128", "16, 2, 64"})
  void attentionMatchesScalarSoftmaxForDecodeAndPrefillRows(int heads, int kvHeads, int headDim) {
    int bs = 16;
    int layers = 2;
    int layer = 1;
    int kvd = kvHeads * headDim;
    int qd = heads * headDim;
    int numBlocks = 40;
    long pageFloats = 2L * layers * bs * kvd;
    // KV block b lives in page pageOf[b] (a permutation), the cache filled with random K and V.
    int[] pageOf = IntStream.range(0, numBlocks).map(b -> (b * 17 + 5) % numBlocks).toArray();
    float[] cache = randoms((int) (pageFloats * numBlocks), 1f);
    long pool = io.floats(cache);
    // Sequences: a long decode row (several chunks), a prefill chunk after a cached prefix, a one-token
    // decode, a prefill from position 0.
    int[][] tables = {
        IntStream.range(0, 19).toArray(), IntStream.range(19, 22).toArray(), {22}, IntStream.range(23, 24).toArray()};
    int[] starts = {300, 20, 0, 0};
    int[] counts = {1, 13, 1, 7};
    List<SequenceRows> seqs = new ArrayList<>();
    List<Integer> pos = new ArrayList<>();
    int row = 0;
    for (int i = 0; i < tables.length; i++) {
      seqs.add(new SequenceRows(row, counts[i], tables[i], -1));
      for (int j = 0; j < counts[i]; j++) {
        pos.add(starts[i] + j);
      }
      row += counts[i];
    }
    int rows = row;
    int[] positions = pos.stream().mapToInt(Integer::intValue).toArray();
    ForwardBatch b = new ForwardBatch(new int[rows], positions, seqs, List.of(new AdapterSegment(-1, 0, rows)),
        new int[] {rows - 1});
    // 32 SMs: the long decode row splits into many ranges, the one-token row into one (written directly).
    StepPlan plan = StepPlanner.plan(b, new StepPlanner.Shape(layers, heads, kvHeads, bs, numBlocks, 32),
        id -> pageOf[id], index -> null);
    assertTrue(plan.decodeSplits() > 1, "the decode rows split");
    DevicePlan p = upload(plan);
    float[] q = randoms(rows * qd, 1f);
    long qd0 = io.floats(q);
    long out = io.zeros(2L * 2 * rows * qd);
    long partial = io.zeros(4L * plan.numDecodeItems() * heads * (headDim + 2));
    float scale = (float) (1.0 / Math.sqrt(headDim));
    long layerOffset = 2L * layer * bs * kvd;
    kernels.attentionDecode(s, headDim, qd0, partial, out, p.at(StepPlan.Section.DECODE_ROWS), plan.decodeRows().length,
        plan.decodeSplits(), rows, p.at(StepPlan.Section.POSITIONS), p.at(StepPlan.Section.PAGE_TABLE),
        p.at(StepPlan.Section.ROW_PAGE_START), pool, pageFloats, layerOffset, bs, heads, kvHeads, scale);
    kernels.attentionCombine(s, partial, p.at(StepPlan.Section.DECODE_ROWS), plan.decodeRows().length,
        plan.decodeSplits(), p.at(StepPlan.Section.POSITIONS), heads, headDim, rows, out);
    kernels.attentionPrefill(s, headDim, qd0, out, rows, p.at(StepPlan.Section.PREFILL_TILES), plan.numPrefillTiles(),
        p.at(StepPlan.Section.POSITIONS), p.at(StepPlan.Section.PAGE_TABLE), pool, pageFloats, layerOffset, bs, heads,
        kvHeads, plan.headsPerTile(), scale);
    sync();

    float[] expected = new float[rows * qd];
    int group = heads / kvHeads;
    for (int si = 0; si < seqs.size(); si++) {
      SequenceRows sr = seqs.get(si);
      for (int r = sr.rowStart(); r < sr.rowEnd(); r++) {
        for (int h = 0; h < heads; h++) {
          int kvh = h / group;
          int ctx = positions[r] + 1;
          double[] sc = new double[ctx];
          double max = Double.NEGATIVE_INFINITY;
          for (int t = 0; t < ctx; t++) {
            long base = pageOf[sr.blockTable()[t / bs]] * pageFloats + layerOffset + (long) (t % bs) * kvd
                + (long) kvh * headDim;
            double dot = 0;
            for (int d = 0; d < headDim; d++) {
              dot += (double) q[r * qd + h * headDim + d] * cache[(int) base + d];
            }
            sc[t] = dot * scale;
            max = Math.max(max, sc[t]);
          }
          double sum = 0;
          for (int t = 0; t < ctx; t++) {
            sc[t] = Math.exp(sc[t] - max);
            sum += sc[t];
          }
          for (int d = 0; d < headDim; d++) {
            double acc = 0;
            for (int t = 0; t < ctx; t++) {
              long base = pageOf[sr.blockTable()[t / bs]] * pageFloats + layerOffset + (long) (t % bs) * kvd
                  + (long) bs * kvd + (long) kvh * headDim;
              acc += sc[t] * cache[(int) base + d];
            }
            expected[r * qd + h * headDim + d] = (float) (acc / sum);
          }
        }
      }
    }
    assertClose(expected, io.readSplit(out, rows, qd), 5e-5, "attention");
  }

  // ---------------------------------------------------------------- LoRA

  @Test
  void loraShrinkExpandAppliesEachRowsAdapter() {
    try (LlamaModel model = CudaFixtures.model()) {
      LlamaConfig c = model.config();
      Map<String, LoraAdapter> all = CudaFixtures.adapters(model);
      List<LoraAdapter> used = List.of(all.get("adapter-qv-r8"), all.get("adapter-qkvo-r16"), all.get("adapter-all-r4"),
          all.get("adapter-kod-r8"));
      long pageBytes = 64 << 10;
      try (DevicePool pool = new DevicePool(gpu, pageBytes, 64)) {
        LoraUploader uploader = new LoraUploader(gpu, pool, c.numLayers());
        List<DeviceAdapter> device = new ArrayList<>();
        for (LoraAdapter a : used) {
          AdapterLayout layout = uploader.layout(a);
          int[] pages = pool.pages().allocate(layout.pages(), PageAllocator.Use.ADAPTER);
          device.add(uploader.upload(a, layout, pages));
        }
        device.forEach(uploader::finish);
        // Rows: base 0..2, qv-r8 3..12 (three items), qkvo-r16 13, all-r4 14..20, kod-r8 21..22: ranks 8, 16,
        // 4 and 8 in one launch.
        int[][] segs = {{-1, 0, 3}, {0, 3, 13}, {1, 13, 14}, {2, 14, 21}, {3, 21, 23}};
        int rows = 23;
        List<SequenceRows> seqs = new ArrayList<>();
        List<AdapterSegment> segments = new ArrayList<>();
        int[] indexOfRow = new int[rows];
        for (int[] sg : segs) {
          segments.add(new AdapterSegment(sg[0], sg[1], sg[2]));
          for (int r = sg[1]; r < sg[2]; r++) {
            seqs.add(new SequenceRows(r, 1, new int[] {0}, sg[0]));
            indexOfRow[r] = sg[0];
          }
        }
        ForwardBatch b = new ForwardBatch(new int[rows], new int[rows], seqs, segments, new int[0]);
        StepPlan plan = StepPlanner.plan(b, new StepPlanner.Shape(c.numLayers(), c.numHeads(), c.numKvHeads(), 16, 1,
            4), id -> 0, device::get);
        DevicePlan p = upload(plan);
        int qd = c.queryDim();
        int kvd = c.kvDim();
        checkLoraGroup(c, p, device, indexOfRow, 2, new LoraTarget[] {LoraTarget.Q, LoraTarget.K, LoraTarget.V},
            new int[] {0, qd, qd + kvd}, c.hiddenSize(), qd + 2 * kvd);
        checkLoraGroup(c, p, device, indexOfRow, 3, new LoraTarget[] {LoraTarget.DOWN}, new int[] {0},
            c.intermediateSize(), c.hiddenSize());
        checkLoraGroup(c, p, device, indexOfRow, 0, new LoraTarget[] {LoraTarget.GATE, LoraTarget.UP},
            new int[] {0, c.intermediateSize()}, c.hiddenSize(), 2 * c.intermediateSize());
        uploader.close();
      }
    }
  }

  private void checkLoraGroup(LlamaConfig c, DevicePlan p, List<DeviceAdapter> device, int[] indexOfRow, int layer,
      LoraTarget[] targets, int[] cols, int inDim, int ldy) {
    StepPlan plan = p.plan();
    int rows = plan.rows();
    float[] x = randoms(rows * inDim, 1f);
    float[] y = randoms(2 * rows * ldy, 1f);
    long xd = io.split(x, rows);
    long yd = io.floats(y);
    long t = io.zeros(4L * rows * Kernels.LORA_TARGETS_PER_LAUNCH * plan.maxRank());
    int[] ids = Arrays.stream(targets).mapToInt(Enum::ordinal).toArray();
    int maxOut = Arrays.stream(targets).mapToInt(tg -> tg.outFeatures(c)).max().orElseThrow();
    kernels.loraShrink(s, xd, rows, inDim, t, plan.maxRank(), p.at(StepPlan.Section.LORA_ITEM_ROW),
        p.at(StepPlan.Section.LORA_ITEM_COUNT), p.at(StepPlan.Section.LORA_ITEM_ROOT), plan.numLoraItems(), layer, ids);
    kernels.loraExpand(s, yd, ldy, t, plan.maxRank(), p.at(StepPlan.Section.LORA_ITEM_ROW),
        p.at(StepPlan.Section.LORA_ITEM_COUNT), p.at(StepPlan.Section.LORA_ITEM_ROOT), plan.numLoraItems(), layer, ids,
        cols, maxOut);
    sync();
    float[] expected = Arrays.copyOf(y, rows * ldy);
    for (int r = 0; r < rows; r++) {
      if (indexOfRow[r] < 0) {
        continue;
      }
      float[] xr = new float[inDim];
      for (int i = 0; i < inDim; i++) {
        short hi = Bf16.fromFloat(x[r * inDim + i]);
        xr[i] = Bf16.toFloat(hi) + Bf16.round(x[r * inDim + i] - Bf16.toFloat(hi));
      }
      LoraAdapter a = device.get(indexOfRow[r]).adapter();
      for (int ti = 0; ti < targets.length; ti++) {
        LoraModule m = a.layer(layer).get(targets[ti]);
        if (m == null) {
          continue;
        }
        float[] tk = new float[m.rank()];
        for (int k = 0; k < m.rank(); k++) {
          double acc = 0;
          for (int i = 0; i < inDim; i++) {
            acc += (double) m.a()[k * inDim + i] * xr[i];
          }
          tk[k] = (float) acc * m.scaling();
        }
        for (int o = 0; o < m.out(); o++) {
          double acc = 0;
          for (int k = 0; k < m.rank(); k++) {
            acc += (double) m.b()[o * m.rank() + k] * tk[k];
          }
          expected[r * ldy + cols[ti] + o] += (float) acc;
        }
      }
    }
    assertClose(expected, io.readFloats(yd, rows * ldy), 2e-5, "LoRA layer " + layer + " " + Arrays.toString(targets));
  }

  // ---------------------------------------------------------------- token choice

  /** The device's (token, logprob) for {@code rows} rows of {@code logits} sampled as {@code sampling} says. */
  private record Sampled(int[] tokens, float[] logprobs) {}

  private Sampled sampleOnDevice(float[] logits, int vocab, RowSampling[] sampling) {
    int rows = sampling.length;
    SamplingInputs.Sizes sizes = SamplingInputs.sizes(sampling, 0, rows);
    long penaltyAt = 48L * rows;
    long masksAt = penaltyAt + 4L * sizes.penaltyTokens() + 16;
    long bytes = masksAt + 4L * SamplingInputs.maskWords(vocab) * sizes.maskRows() + 16;
    long inputs;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment host = arena.allocate(bytes, 16);
      SamplingInputs.write(host, sampling, 0, rows, vocab, 0, penaltyAt, masksAt);
      inputs = io.upload(host);
    }
    long tokens = io.zeros(4L * rows);
    long logprobs = io.zeros(4L * rows);
    kernels.sampleTokens(s, io.floats(logits), vocab, rows, inputs, inputs + penaltyAt, inputs + masksAt,
        io.zeros(4L * rows * vocab), io.zeros(8L * rows * vocab), tokens, logprobs);
    sync();
    return new Sampled(io.readInts(tokens, rows), io.readFloats(logprobs, rows));
  }

  /** A random stream whose next double is {@code u} (the uniform number the engine hands the device). */
  private static java.util.random.RandomGenerator fixed(double u) {
    return new java.util.random.RandomGenerator() {
      @Override
      public long nextLong() {
        throw new UnsupportedOperationException();
      }

      @Override
      public double nextDouble() {
        return u;
      }
    };
  }

  @Test
  void greedyTakesTheLowestIdAmongEqualMaximaAndReportsTheHostLogprob() {
    int vocab = 1000;
    int rows = 3;
    float[] logits = randoms(rows * vocab, 1f);
    logits[700] = 9f;
    logits[300] = 9f;
    logits[vocab + 999] = 12f;
    logits[2 * vocab] = 50f;
    RowSampling[] greedy = {RowSampling.GREEDY, RowSampling.GREEDY, RowSampling.GREEDY};
    Sampled got = sampleOnDevice(logits, vocab, greedy);
    assertArrayEquals(new int[] {300, 999, 0}, got.tokens());
    for (int r = 0; r < rows; r++) {
      assertEquals(Sampler.logprob(logits, r * vocab, vocab, got.tokens()[r]), got.logprobs()[r], 1e-6f);
    }
  }

  /**
   * The device picks what the engine's host Sampler picks from the same logits and the same uniform number:
   * greedy, temperature, top-k (ties included), top-p, repetition penalty, their mixes, and allowed-token masks
   * (compared with the host on logits whose disallowed tokens are -infinity), row by row in one launch.
   */
  @Test
  void samplingOnTheDeviceChoosesWhatTheHostSamplerChooses() {
    int vocab = 300;
    int rows = samplingRows() / 4;
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(17);
    float[] logits = new float[rows * vocab];
    RowSampling[] sampling = new RowSampling[rows];
    SamplingParams[] params = new SamplingParams[rows];
    int[][] contexts = new int[rows][];
    float[][] hostScores = new float[rows][];
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < vocab; i++) {
        // Coarse values so that ties happen (top-k and top-p boundaries among equal scores).
        logits[r * vocab + i] = (float) Math.round(rnd.nextGaussian() * 8) / 4f;
      }
      double temperature = r % 7 == 0 ? 0 : 0.3 + rnd.nextDouble() * 1.5;
      int topK = r % 3 == 0 ? 0 : 1 + rnd.nextInt(60);
      double topP = r % 4 == 0 ? 1.0 : 0.2 + rnd.nextDouble() * 0.79;
      double penalty = r % 5 == 0 ? 1.0 + rnd.nextDouble() : 1.0;
      params[r] = SamplingParams.builder().temperature(temperature).topK(topK).topP(topP).repetitionPenalty(penalty)
          .build();
      int[] context = rnd.ints(20 + rnd.nextInt(40), 0, vocab).toArray();
      contexts[r] = context;
      int[] distinct = Arrays.stream(context).distinct().toArray();
      double u = rnd.nextDouble();
      long[] allowed = null;
      float[] scores = Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
      if (r % 6 == 1) {
        allowed = new long[(vocab + 63) / 64];
        for (int i = 0; i < vocab; i++) {
          if (rnd.nextInt(3) == 0) {
            allowed[i >>> 6] |= 1L << i;
          } else {
            scores[i] = Float.NEGATIVE_INFINITY;
          }
        }
        params[r] = SamplingParams.builder().temperature(temperature).topK(0).topP(topP).repetitionPenalty(penalty)
            .build();
      }
      hostScores[r] = scores;
      sampling[r] = new RowSampling(params[r].temperature(), params[r].topK(), params[r].topP(),
          params[r].repetitionPenalty(), u, distinct, allowed, false);
    }
    Sampled got = sampleOnDevice(logits, vocab, sampling);
    Sampler host = new Sampler();
    for (int r = 0; r < rows; r++) {
      int expected = host.sample(hostScores[r], 0, vocab, params[r], contexts[r], contexts[r].length,
          fixed(sampling[r].uniform())).tokenId();
      assertEquals(expected, got.tokens()[r], "row " + r + ": " + params[r] + ", u " + sampling[r].uniform());
      assertEquals(Sampler.logprob(logits, r * vocab, vocab, expected), got.logprobs()[r], 1e-6f, "row " + r);
    }
  }

  @Test
  void hostRowsAreSkipped() {
    int vocab = 64;
    Sampled got = sampleOnDevice(randoms(2 * vocab, 1f), vocab, new RowSampling[] {RowSampling.HOST,
        RowSampling.GREEDY});
    assertEquals(-1, got.tokens()[0]);
    assertTrue(got.tokens()[1] >= 0);
  }

  // ---------------------------------------------------------------- matrix products

  /** The product through {@code gemm} against a double-precision reference. */
  void checkGemm(Gemm gemm, int m, int n, int k, int ldy) {
    short[] x = bf16s(m * k, 1f);
    short[] w = bf16s(n * k, 0.1f);
    long y = io.zeros(4L * m * ldy);
    gemm.multiply(io.shorts(x), io.shorts(w), y, m, n, k, ldy);
    sync();
    float[] got = io.readFloats(y, m * ldy);
    for (int i = 0; i < m; i++) {
      for (int o = 0; o < n; o++) {
        double acc = 0;
        double mag = 0;
        for (int j = 0; j < k; j++) {
          double t = (double) Bf16.toFloat(x[i * k + j]) * Bf16.toFloat(w[o * k + j]);
          acc += t;
          mag += Math.abs(t);
        }
        double err = Math.abs(acc - got[i * ldy + o]);
        int ii = i;
        int oo = o;
        double a = acc;
        assertTrue(err <= 1e-5 * mag + 1e-6, () -> gemm.name() + ": y[" + ii + ", " + oo + "] = " + got[ii * ldy + oo]
            + ", expected " + a);
      }
    }
  }

  /**
   * The int8-weight product through {@link Int8KernelGemm} (codes then scales, as DeviceWeights lays them
   * out) against a double-precision reference of the same math, {@code (x . q^T) * scale}: tolerance, since
   * the kernels sum in another order than the reference (and a GPU fuses multiply-adds).
   */
  void checkInt8Gemm(int m, int n, int k, int ldy) {
    short[] x = bf16s(m * k, 1f);
    byte[] q = new byte[n * k];
    for (int i = 0; i < q.length; i++) {
      q[i] = (byte) (random.nextInt(255) - 127);
    }
    float[] scale = randoms(n, 0.01f);
    for (int i = 0; i < n; i++) {
      scale[i] = Math.abs(scale[i]);
    }
    java.lang.foreign.MemorySegment block = java.lang.foreign.Arena.ofAuto().allocate(Int8KernelGemm.bytes(n, k), 256);
    java.lang.foreign.MemorySegment.copy(q, 0, block, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, q.length);
    java.lang.foreign.MemorySegment.copy(scale, 0, block, java.lang.foreign.ValueLayout.JAVA_FLOAT,
        Int8KernelGemm.scalesOffset(n, k), n);
    long w = io.upload(block);
    long y = io.zeros(4L * m * ldy);
    Int8KernelGemm gemm = new Int8KernelGemm(kernels, s);
    gemm.multiply(io.shorts(x), w, y, m, n, k, ldy);
    sync();
    float[] got = io.readFloats(y, m * ldy);
    for (int i = 0; i < m; i++) {
      for (int o = 0; o < n; o++) {
        double acc = 0;
        double mag = 0;
        for (int j = 0; j < k; j++) {
          double t = (double) Bf16.toFloat(x[i * k + j]) * q[o * k + j];
          acc += t;
          mag += Math.abs(t);
        }
        acc *= scale[o];
        mag *= scale[o];
        double err = Math.abs(acc - got[i * ldy + o]);
        int ii = i;
        int oo = o;
        double a = acc;
        assertTrue(err <= 1e-5 * mag + 1e-6, () -> "int8 m=" + m + ": y[" + ii + ", " + oo + "] = "
            + got[ii * ldy + oo] + ", expected " + a);
      }
    }
    // Columns past n are untouched.
    for (int i = 0; i < m; i++) {
      for (int o = n; o < ldy; o++) {
        assertEquals(0f, got[i * ldy + o], "y[" + i + ", " + o + "] past n");
      }
    }
  }

  @Test
  void int8GemvMatchesDoublePrecision() {
    checkInt8Gemm(2, 37, 96, 40);    // decode: one row (split halves), n not a multiple of the 8 outputs per block
    checkInt8Gemm(16, 70, 132, 70);  // the largest GEMV
    checkInt8Gemm(3, 20, 45, 20);    // k not a multiple of 4: byte loads
  }

  @Test
  void int8GemmMatchesDoublePrecision() {
    checkInt8Gemm(70, 130, 200, 130);
    checkInt8Gemm(17, 65, 33, 66);
  }

  @Test
  void kernelGemmMatchesDoublePrecision() {
    checkGemm(new KernelGemm(kernels, s), 70, 130, 200, 130);
    checkGemm(new KernelGemm(kernels, s), 2, 300, 96, 320);
  }
}
