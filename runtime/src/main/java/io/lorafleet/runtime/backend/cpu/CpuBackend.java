package io.lorafleet.runtime.backend.cpu;

import io.lorafleet.runtime.backend.Backend;
import io.lorafleet.runtime.backend.ForwardBatch;
import io.lorafleet.runtime.backend.ForwardBatch.AdapterSegment;
import io.lorafleet.runtime.backend.ForwardBatch.SequenceRows;
import io.lorafleet.runtime.backend.Logits;
import io.lorafleet.runtime.backend.NativeGemm;
import io.lorafleet.runtime.backend.cpu.PhaseClock.Phase;
import io.lorafleet.runtime.format.DType;
import io.lorafleet.runtime.format.LlamaConfig;
import io.lorafleet.runtime.model.LayerWeights;
import io.lorafleet.runtime.model.Linear;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LlamaWeights;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.model.LoraModule;
import io.lorafleet.runtime.model.LoraTarget;
import io.lorafleet.runtime.model.Quantization;
import io.lorafleet.runtime.model.Rope;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Llama forward pass on the CPU, for a batch of sequences at different positions with different
 * adapters. Base projections run once over all rows; each adapter's LoRA runs once over its segment of
 * rows (shrink to rank r, scale, expand and add); rows without an adapter pay nothing. The projection
 * matrices are repacked once, at construction, into {@link PackedLinear} panels in native memory (same
 * bytes as the checkpoint, huge pages where the OS gives them; the mapped file's pages are released);
 * the embedding is gathered from the mapped checkpoint. The KV cache is float32, one array per layer for
 * K and for V. With {@link Quantization#INT8} the projections (and an untied {@code lm_head}) are
 * quantized to int8 panels while they are packed, panel by panel from the mapped checkpoint, so the
 * packed weights take about half the bytes of a bf16 checkpoint and no float copy of the model exists.
 */
public final class CpuBackend implements Backend {
  private static final Logger log = LoggerFactory.getLogger(CpuBackend.class);
  /** Rows per LoRA work unit. */
  private static final int LORA_ROW_BLOCK = 16;

  private final LlamaConfig c;
  private final LlamaWeights w;
  private final Rope rope;
  private final WorkerPool pool;
  /** Uploaded adapters by index; null where one was freed. */
  private final List<CpuAdapter> uploaded = new ArrayList<>();
  private final NativeMemory packedMemory;
  private final List<PackedLayer> packed;
  private final PackedLinear lmHead;
  private final PhaseClock clock = new PhaseClock();
  /** oneDNN for products of {@link #nativeMinRows}+ rows over bf16 weights; null: the Vector-API kernels only. */
  private final OneDnnMatmul nativeGemm;
  private final int nativeMinRows;
  private final Quantization quantization;

  private float[][] kCache;
  private float[][] vCache;
  private int blockSize;
  private int numBlocks;

  /** Scratch that grows to the largest batch seen; one set per worker where work is per worker. */
  private float[] x = new float[0], xn = x, q = x, k = x, v = x, att = x, proj = x, gate = x, up = x;
  private final float[][] workerLora;
  private final float[][] workerScores;
  /** The input rows of the last product, packed for the kernels (reused). */
  private float[] packedInput;
  private float[][] rowCos = new float[0][];
  private float[][] rowSin = new float[0][];

  /** An adapter's modules as the LoRA kernels take them. */
  private record CpuAdapter(LoraAdapter adapter, List<Map<LoraTarget, Lora>> layers) {}

  /** {@code a} is the module's A ({@code [rank, in]}, not copied); {@code bt} its B transposed ({@code [rank, out]}). */
  private record Lora(float[] a, float[] bt, int rank, int in, int out, float scaling) {}

  /** One layer's projections, packed. */
  private record PackedLayer(PackedLinear q, PackedLinear k, PackedLinear v, PackedLinear o, PackedLinear gate,
      PackedLinear up, PackedLinear down) {}

  /** Unquantized weights; native GEMM from the {@link NativeGemm#PROPERTY} system property (default off). */
  public CpuBackend(LlamaModel model, int threads) {
    this(model, threads, Quantization.NONE, NativeGemm.fromSystemProperty());
  }

  /** Unquantized weights with the given native GEMM setting. */
  public CpuBackend(LlamaModel model, int threads, NativeGemm nativeGemmMode) {
    this(model, threads, Quantization.NONE, nativeGemmMode);
  }

  /**
   * A backend whose projections are stored as {@code quantization} says; native GEMM from the
   * {@link NativeGemm#PROPERTY} system property (default off).
   */
  public CpuBackend(LlamaModel model, int threads, Quantization quantization) {
    this(model, threads, quantization, NativeGemm.fromSystemProperty());
  }

  /**
   * A backend whose projections are stored as {@code quantization} says, with the given native GEMM setting.
   * oneDNN multiplies only bf16 panels: with {@link Quantization#INT8} the native GEMM is not used (the
   * int8 panels' own kernels run every product) and a setting of {@code on} or {@code auto} is logged as
   * not applying, not refused.
   */
  public CpuBackend(LlamaModel model, int threads, Quantization quantization, NativeGemm nativeGemmMode) {
    this(model, threads, quantization, nativeGemmMode, OneDnnMatmul.DEFAULT_MIN_ROWS);
  }

  /** {@code nativeMinRows}: the fewest input rows a product needs to go to oneDNN (tests send every one). */
  CpuBackend(LlamaModel model, int threads, NativeGemm nativeGemmMode, int nativeMinRows) {
    this(model, threads, Quantization.NONE, nativeGemmMode, nativeMinRows);
  }

  private CpuBackend(LlamaModel model, int threads, Quantization quantization, NativeGemm nativeGemmMode,
      int nativeMinRows) {
    this.quantization = quantization;
    this.c = model.config();
    this.w = model.weights();
    this.rope = new Rope(c);
    this.pool = new WorkerPool(threads);
    List<Linear> all = new ArrayList<>();
    for (LayerWeights lw : w.layers()) {
      all.addAll(List.of(lw.q(), lw.k(), lw.v(), lw.o(), lw.gate(), lw.up(), lw.down()));
    }
    all.add(w.lmHead());
    // The native GEMM decides the bf16 layout: oneDNN's (k-row pairs) when it runs, so both paths read the
    // one copy; otherwise the Vector-API kernels' own. It only ever runs over unquantized bf16 weights:
    // int8-quantized projections keep the int8 panels and their kernels.
    boolean int8 = quantization == Quantization.INT8;
    boolean bf16 = w.lmHead().dtype() == DType.BF16;
    OneDnnMatmul dnnl = null;
    try {
      if (int8 && nativeGemmMode == NativeGemm.ON) {
        log.warn("native GEMM on does not apply to int8-quantized weights: oneDNN is not used, the int8 panel"
            + " kernels run every product");
      } else if (int8 && nativeGemmMode == NativeGemm.AUTO) {
        log.info("native GEMM auto: oneDNN is not used for int8-quantized weights");
      } else if (!bf16 && nativeGemmMode == NativeGemm.ON) {
        throw new IllegalStateException("native GEMM forced on, but the model's weights are "
            + w.lmHead().dtype() + ", not BF16");
      }
      dnnl = bf16 && !int8 ? OneDnnMatmul.open(nativeGemmMode, pool.threads()).orElse(null) : null;
    } catch (RuntimeException | Error e) {
      pool.close();
      throw e;
    }
    this.nativeGemm = dnnl;
    List<PackedLinear.Format> formats = new ArrayList<>();
    for (Linear m : all) {
      boolean quantized = int8 && (m != w.lmHead() || quantization.quantizesHead(w));
      formats.add(quantized ? PackedLinear.Format.INT8 : format(m));
    }
    long total = 0;
    for (int i = 0; i < all.size(); i++) {
      total += align(PackedLinear.packedBytes(all.get(i), formats.get(i)));
    }
    long t0 = System.nanoTime();
    NativeMemory memory = null;
    try {
      memory = NativeMemory.allocate(total);
      List<PackedLinear> views = new ArrayList<>();
      long off = 0;
      for (int i = 0; i < all.size(); i++) {
        Linear m = all.get(i);
        PackedLinear.Format f = formats.get(i);
        long bytes = align(PackedLinear.packedBytes(m, f));
        PackedLinear p = PackedLinear.over(m, memory.segment().asSlice(off, bytes), f);
        pool.parallelFor(p.panels(), 4, (wk, s, e) -> p.pack(m, s, e));
        if (m != w.embed()) {
          NativeMemory.dropPages(m.data());
        }
        views.add(p);
        off += bytes;
      }
      List<PackedLayer> layers = new ArrayList<>();
      for (int l = 0; l < c.numLayers(); l++) {
        List<PackedLinear> v = views.subList(7 * l, 7 * l + 7);
        layers.add(new PackedLayer(v.get(0), v.get(1), v.get(2), v.get(3), v.get(4), v.get(5), v.get(6)));
      }
      this.packed = List.copyOf(layers);
      this.lmHead = views.getLast();
      this.packedMemory = memory;
    } catch (RuntimeException | Error e) {
      if (memory != null) {
        memory.close();
      }
      if (nativeGemm != null) {
        nativeGemm.close();
      }
      pool.close();
      throw e;
    }
    log.info("repacked {} MiB of projection weights into {}panels in {} ms", total >> 20,
        quantization == Quantization.INT8 ? "int8 " : "", (System.nanoTime() - t0) / 1_000_000);
    int n = pool.threads();
    this.nativeMinRows = nativeMinRows;
    this.workerLora = new float[n][0];
    this.workerScores = new float[n][0];
  }

  /** The layout matrix {@code m} is packed in. */
  private PackedLinear.Format format(Linear m) {
    return nativeGemm != null && m.dtype() == DType.BF16 ? PackedLinear.Format.BF16_PAIRS
        : PackedLinear.Format.of(m.dtype());
  }

  private static long align(long bytes) {
    return (bytes + 4095) / 4096 * 4096;
  }

  /** Time per phase of the forward steps so far (with {@code -Dlorafleet.cpu.profile=true}). */
  public PhaseClock clock() {
    return clock;
  }

  /** Bytes of the repacked projection matrices (native memory; int8 scales on the heap not counted). */
  public long packedWeightBytes() {
    return packedMemory.segment().byteSize();
  }

  /** Bytes of the packed projection matrices themselves (int8: codes plus scales), without page rounding. */
  public long projectionBytes() {
    long total = lmHead.bytes();
    for (PackedLayer l : packed) {
      total += l.q().bytes() + l.k().bytes() + l.v().bytes() + l.o().bytes() + l.gate().bytes() + l.up().bytes()
          + l.down().bytes();
    }
    return total;
  }

  @Override
  public Quantization quantization() {
    return quantization;
  }

  /** Bytes of the backend's own copies of adapter weights (the transposed B of every loaded module). */
  public long adapterCopyBytes() {
    long total = 0;
    for (CpuAdapter a : uploaded) {
      if (a != null) {
        for (Map<LoraTarget, Lora> layer : a.layers()) {
          for (Lora l : layer.values()) {
            total += 4L * l.bt().length;
          }
        }
      }
    }
    return total;
  }

  @Override
  public String name() {
    return "cpu(" + pool.threads() + " threads, " + VectorKernels.lanes() + " float lanes"
        + (quantization == Quantization.INT8 ? ", int8 weights" : "") + ", " + gemmPath() + ")";
  }

  /**
   * Which kernels run the large products: {@code "onednn-bf16 GEMM from 16 rows (brg:avx512_core_bf16)"} or
   * {@code "vector-api GEMM"}.
   */
  public String gemmPath() {
    return nativeGemm == null ? "vector-api GEMM"
        : "onednn-bf16 GEMM from " + nativeMinRows + " rows (" + nativeGemm.implementation() + ")";
  }

  /** Whether products of {@code rows} input rows go to oneDNN. */
  public boolean usesNativeGemm(int rows) {
    return nativeGemm != null && rows >= nativeMinRows;
  }

  @Override
  public LlamaConfig config() {
    return c;
  }

  public int threads() {
    return pool.threads();
  }

  @Override
  public long kvBytesPerBlock(int blockSize) {
    return 2L * c.numLayers() * blockSize * c.kvDim() * Float.BYTES;
  }

  @Override
  public void allocateKvCache(int numBlocks, int blockSize) {
    long floats = (long) numBlocks * blockSize * c.kvDim();
    if (floats > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("KV cache of " + numBlocks + " blocks is too large for one layer array");
    }
    this.numBlocks = numBlocks;
    this.blockSize = blockSize;
    kCache = new float[c.numLayers()][(int) floats];
    vCache = new float[c.numLayers()][(int) floats];
  }

  @Override
  public int uploadAdapter(LoraAdapter adapter) {
    List<Map<LoraTarget, Lora>> layers = new ArrayList<>();
    for (int l = 0; l < c.numLayers(); l++) {
      Map<LoraTarget, Lora> mods = new EnumMap<>(LoraTarget.class);
      for (LoraModule m : adapter.layer(l).values()) {
        float[] bt = new float[m.out() * m.rank()];
        for (int o = 0; o < m.out(); o++) {
          for (int j = 0; j < m.rank(); j++) {
            bt[j * m.out() + o] = m.b()[o * m.rank() + j];
          }
        }
        mods.put(m.target(), new Lora(m.a(), bt, m.rank(), m.in(), m.out(), m.scaling()));
      }
      layers.add(mods);
    }
    CpuAdapter ca = new CpuAdapter(adapter, layers);
    int free = uploaded.indexOf(null);
    if (free >= 0) {
      uploaded.set(free, ca);
      return free;
    }
    uploaded.add(ca);
    return uploaded.size() - 1;
  }

  @Override
  public void freeAdapter(int index) {
    uploaded.set(index, null);
  }

  @Override
  public int adapterCapacity() {
    return Integer.MAX_VALUE;
  }

  @Override
  public Logits forward(ForwardBatch b) {
    if (kCache == null) {
      throw new IllegalStateException("allocateKvCache was not called");
    }
    final int rows = b.numRows();
    final int h = c.hiddenSize();
    final int qd = c.queryDim();
    final int kvd = c.kvDim();
    final int inter = c.intermediateSize();
    final float eps = (float) c.rmsNormEps();
    ensureScratch(rows);
    int[] rowSeq = rowToSequence(b);
    List<int[]> loraUnits = loraUnits(b);
    clock.start();

    // Embedding gather.
    pool.parallelFor(rows, 8, (long) rows * h, (wk, s, e) -> {
      for (int r = s; r < e; r++) {
        VectorKernels.widen(w.embed(), (long) b.tokenIds()[r] * h, x, r * h, h);
      }
    });
    // RoPE angles of every row, once for all layers.
    pool.parallelFor(rows, 16, (long) rows * c.headDim() * 16, (wk, s, e) -> {
      for (int r = s; r < e; r++) {
        rope.angles(b.positions()[r], rowCos[r], rowSin[r]);
      }
    });
    clock.lap(Phase.EMBED);

    for (int layer = 0; layer < c.numLayers(); layer++) {
      LayerWeights lw = w.layers().get(layer);
      PackedLayer pl = packed.get(layer);
      final int l = layer;

      // Attention block: norm, q/k/v (+LoRA), RoPE, cache write, attention, o (+LoRA), residual.
      normRows(x, lw.attnNorm(), eps, xn, rows);
      clock.lap(Phase.NORM);
      matmuls(xn, h, rows, new Job(pl.q(), q, qd), new Job(pl.k(), k, kvd), new Job(pl.v(), v, kvd));
      clock.lap(Phase.QKV);
      applyLora(loraUnits, b, l, xn, h, new LoraOut(LoraTarget.Q, q, qd), new LoraOut(LoraTarget.K, k, kvd),
          new LoraOut(LoraTarget.V, v, kvd));
      clock.lap(Phase.LORA);
      pool.parallelFor(rows, 4, (long) rows * (qd + 2 * kvd) * 4, (wk, s, e) -> {
        for (int r = s; r < e; r++) {
          int pos = b.positions()[r];
          Rope.apply(q, r * qd, c.numHeads(), c.headDim(), rowCos[r], rowSin[r]);
          Rope.apply(k, r * kvd, c.numKvHeads(), c.headDim(), rowCos[r], rowSin[r]);
          int[] table = b.sequences().get(rowSeq[r]).blockTable();
          int block = table[pos / blockSize];
          int offset = pos % blockSize;
          float[] kc = kCache[l];
          for (int kh = 0; kh < c.numKvHeads(); kh++) {
            int kb = VectorKernels.kIndex(block, kh, 0, offset, c.numKvHeads(), c.headDim(), blockSize);
            for (int d = 0; d < c.headDim(); d++) {
              kc[kb + d * blockSize] = k[r * kvd + kh * c.headDim() + d];
            }
          }
          System.arraycopy(v, r * kvd, vCache[l], (block * blockSize + offset) * kvd, kvd);
        }
      });
      clock.lap(Phase.ROPE);
      attention(b, rowSeq, l, rows);
      clock.lap(Phase.ATTENTION);
      matmuls(att, qd, rows, new Job(pl.o(), proj, h));
      clock.lap(Phase.O);
      applyLora(loraUnits, b, l, att, qd, new LoraOut(LoraTarget.O, proj, h));
      clock.lap(Phase.LORA);
      VectorKernels.addInPlace(x, 0, proj, 0, rows * h);
      clock.lap(Phase.RESIDUAL);

      // MLP block: norm, gate/up (+LoRA), SiLU(gate) * up, down (+LoRA), residual.
      normRows(x, lw.ffnNorm(), eps, xn, rows);
      clock.lap(Phase.NORM);
      matmuls(xn, h, rows, new Job(pl.gate(), gate, inter), new Job(pl.up(), up, inter));
      clock.lap(Phase.GATE_UP);
      applyLora(loraUnits, b, l, xn, h, new LoraOut(LoraTarget.GATE, gate, inter), new LoraOut(LoraTarget.UP, up, inter));
      clock.lap(Phase.LORA);
      pool.parallelFor(rows, 4, (long) rows * inter * 8, (wk, s, e) -> VectorKernels.siluMul(gate, up, s * inter, (e - s) * inter));
      clock.lap(Phase.SILU);
      matmuls(gate, inter, rows, new Job(pl.down(), proj, h));
      clock.lap(Phase.DOWN);
      applyLora(loraUnits, b, l, gate, inter, new LoraOut(LoraTarget.DOWN, proj, h));
      clock.lap(Phase.LORA);
      VectorKernels.addInPlace(x, 0, proj, 0, rows * h);
      clock.lap(Phase.RESIDUAL);
    }

    // Final norm and LM head, only for the rows whose logits are wanted.
    int[] want = b.logitRows();
    int n = want.length;
    float[] normed = new float[n * h];
    for (int i = 0; i < n; i++) {
      VectorKernels.rmsNorm(x, want[i] * h, w.finalNorm(), eps, normed, i * h, h);
    }
    float[] logits = new float[n * c.vocabSize()];
    matmuls(normed, h, n, new Job(lmHead, logits, c.vocabSize()));
    clock.lap(Phase.LM_HEAD);
    return new Logits(n, c.vocabSize(), logits);
  }

  private void normRows(float[] in, float[] weight, float eps, float[] out, int rows) {
    int h = c.hiddenSize();
    pool.parallelFor(rows, 16, (long) rows * h * 2, (wk, s, e) -> {
      for (int r = s; r < e; r++) {
        VectorKernels.rmsNorm(in, r * h, weight, eps, out, r * h, h);
      }
    });
  }

  /** {@code out = in · W^T} into a {@code rows x W.rows} buffer. */
  private record Job(PackedLinear weight, float[] out, int outStride) {}

  /**
   * Runs several products over the same input as one parallel loop over all their panels: each thread
   * streams its own contiguous run of panels, and q/k/v (or gate/up) need no barrier between them.
   */
  private void matmuls(float[] in, int inStride, int rows, Job... jobs) {
    int total = 0;
    int[] starts = new int[jobs.length + 1];
    for (int j = 0; j < jobs.length; j++) {
      starts[j] = total;
      total += jobs[j].weight().panels();
    }
    starts[jobs.length] = total;
    long work = 0;
    for (Job job : jobs) {
      work += (long) job.weight().rows() * inStride * rows;
    }
    if (usesNativeGemm(rows) && allPairs(jobs)) {
      // oneDNN: the inputs rounded to bf16 once (split between the threads), then each product with
      // oneDNN's own threads while the pool's helpers wait.
      nativeGemm.ensureInput(2L * rows * inStride);
      pool.parallelFor(rows, 8, (long) rows * inStride, (wk, s, e) -> nativeGemm.prepareInput(in, inStride, rows,
          inStride, s, e));
      for (Job job : jobs) {
        nativeGemm.multiplyPrepared(job.weight(), rows, job.out(), job.outStride());
      }
      return;
    }
    InputRows input = InputRows.of(in, 0, inStride, rows, inStride, packedInput);
    packedInput = input.buffer() != null ? input.buffer() : packedInput;
    pool.parallelFor(input.packedTiles(), 4, (long) rows * inStride, (wk, s, e) -> input.pack(s, e));
    pool.parallelFor(total, PanelKernels.panelsPerChunk(rows), work, (wk, s, e) -> {
      for (int j = 0; j < jobs.length; j++) {
        int lo = Math.max(s, starts[j]);
        int hi = Math.min(e, starts[j + 1]);
        if (lo < hi) {
          Job job = jobs[j];
          PanelKernels.matmul(job.weight(), input, job.out(), 0, job.outStride(), lo - starts[j], hi - starts[j],
              false);
        }
      }
    });
  }

  private static boolean allPairs(Job[] jobs) {
    for (Job j : jobs) {
      if (j.weight().format() != PackedLinear.Format.BF16_PAIRS) {
        return false;
      }
    }
    return true;
  }

  private record LoraOut(LoraTarget target, float[] out, int outStride) {}

  /**
   * For every (adapter segment, block of rows, target the adapter has in this layer): {@code out +=
   * scaling * B (A in)}, row by row. Items are independent (disjoint rows or outputs), so they run in
   * parallel; each row's result depends only on the row.
   */
  private void applyLora(List<int[]> units, ForwardBatch b, int layer, float[] in, int inStride, LoraOut... outs) {
    if (units.isEmpty()) {
      return;
    }
    long work = 0;
    for (int[] unit : units) {
      work += (long) (unit[2] - unit[1]) * inStride * 16 * outs.length;
    }
    int items = units.size() * outs.length;
    pool.parallelFor(items, 1, work, (wk, s, e) -> {
      for (int item = s; item < e; item++) {
        int[] unit = units.get(item / outs.length);
        LoraOut o = outs[item % outs.length];
        Lora lora = uploaded.get(unit[0]).layers().get(layer).get(o.target());
        if (lora == null) {
          continue;
        }
        float[] t = workerLora[wk];
        if (t.length < lora.rank()) {
          t = workerLora[wk] = new float[lora.rank()];
        }
        for (int r = unit[1]; r < unit[2]; r++) {
          VectorKernels.loraShrink(lora.a(), lora.rank(), lora.in(), in, r * inStride, t, 0, lora.scaling());
          VectorKernels.loraExpand(lora.bt(), lora.rank(), lora.out(), t, 0, o.out(), r * o.outStride());
        }
      }
    });
  }

  private List<int[]> loraUnits(ForwardBatch b) {
    List<int[]> units = new ArrayList<>();
    for (AdapterSegment seg : b.segments()) {
      if (seg.adapterIndex() < 0) {
        continue;
      }
      if (seg.adapterIndex() >= uploaded.size() || uploaded.get(seg.adapterIndex()) == null) {
        throw new IllegalArgumentException("no adapter is uploaded at index " + seg.adapterIndex());
      }
      for (int r = seg.rowStart(); r < seg.rowEnd(); r += LORA_ROW_BLOCK) {
        units.add(new int[] {seg.adapterIndex(), r, Math.min(seg.rowEnd(), r + LORA_ROW_BLOCK)});
      }
    }
    return units;
  }

  private void attention(ForwardBatch b, int[] rowSeq, int layer, int rows) {
    int kvHeads = c.numKvHeads();
    int group = c.groupSize();
    int hd = c.headDim();
    int qd = c.queryDim();
    float scale = (float) (1.0 / Math.sqrt(hd));
    boolean fours = VectorKernels.attendHeads4Fits(blockSize, hd);
    long work = 0;
    for (int r = 0; r < rows; r++) {
      work += (long) (b.positions()[r] + 1) * qd * 2;
    }
    pool.parallelFor(rows * kvHeads, 1, work, (wk, s, e) -> {
      for (int u = s; u < e; u++) {
        int r = u / kvHeads;
        int kvh = u % kvHeads;
        int ctx = b.positions()[r] + 1;
        float[] scores = workerScores[wk];
        int padded = (ctx + blockSize - 1) / blockSize * blockSize;
        if (scores.length < 4 * padded) {
          scores = workerScores[wk] = new float[Math.max(4 * padded, 2 * scores.length)];
        }
        int[] table = b.sequences().get(rowSeq[r]).blockTable();
        int g = 0;
        if (fours) {
          for (; g + 4 <= group; g += 4) {
            int head = kvh * group + g;
            VectorKernels.attendHeads4(q, r * qd + head * hd, kCache[layer], vCache[layer], table, blockSize,
                kvHeads, kvh, hd, ctx, scale, scores, att, r * qd + head * hd);
          }
        }
        for (; g < group; g++) {
          int head = kvh * group + g;
          VectorKernels.attendHead(q, r * qd + head * hd, kCache[layer], vCache[layer], table, blockSize, kvHeads,
              kvh, hd, ctx, scale, scores, att, r * qd + head * hd);
        }
      }
    });
  }

  private int[] rowToSequence(ForwardBatch b) {
    int[] rowSeq = new int[b.numRows()];
    List<SequenceRows> seqs = b.sequences();
    for (int i = 0; i < seqs.size(); i++) {
      SequenceRows s = seqs.get(i);
      int last = b.positions()[s.rowEnd() - 1];
      if ((long) s.blockTable().length * blockSize <= last) {
        throw new IllegalArgumentException("sequence " + i + ": block table too short for position " + last);
      }
      for (int bt : s.blockTable()) {
        if (bt < 0 || bt >= numBlocks) {
          throw new IllegalArgumentException("sequence " + i + ": block id " + bt + " outside the cache");
        }
      }
      for (int r = s.rowStart(); r < s.rowEnd(); r++) {
        rowSeq[r] = i;
      }
    }
    return rowSeq;
  }

  private void ensureScratch(int rows) {
    int h = c.hiddenSize();
    if (x.length >= rows * h) {
      return;
    }
    int cap = Math.max(rows, x.length / h * 2);
    x = new float[cap * h];
    xn = new float[cap * h];
    q = new float[cap * c.queryDim()];
    k = new float[cap * c.kvDim()];
    v = new float[cap * c.kvDim()];
    att = new float[cap * c.queryDim()];
    proj = new float[cap * h];
    gate = new float[cap * c.intermediateSize()];
    up = new float[cap * c.intermediateSize()];
    rowCos = new float[cap][c.headDim() / 2];
    rowSin = new float[cap][c.headDim() / 2];
  }

  @Override
  public void close() {
    pool.close();
    if (nativeGemm != null) {
      nativeGemm.close();
    }
    packedMemory.close();
    kCache = null;
    vCache = null;
  }
}
