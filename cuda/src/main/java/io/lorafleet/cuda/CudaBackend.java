package io.lorafleet.cuda;

import io.lorafleet.cuda.PageAllocator.Use;
import io.lorafleet.cuda.StepPlan.Section;
import io.lorafleet.cuda.Workspace.Buffer;
import io.lorafleet.runtime.backend.Backend;
import io.lorafleet.runtime.backend.ForwardBatch;
import io.lorafleet.runtime.backend.Logits;
import io.lorafleet.runtime.backend.DeviceFullException;
import io.lorafleet.runtime.format.LlamaConfig;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.model.LoraTarget;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Llama forward pass on an NVIDIA GPU, for a batch of sequences at different positions with
 * different adapters: the same computation as {@code CpuBackend}, step by step.
 *
 * <p>Per layer: residual add + RMSNorm (one kernel, writing the split-bf16 input of the next product),
 * the fused q/k/v product, LoRA for q/k/v (shrink and expand over the step's adapter segments), RoPE +
 * K/V cache write, attention (flash-decoding for single-row sequences, tiled causal attention for prefill
 * chunks), the o product + LoRA, residual + RMSNorm, the fused gate/up product + LoRA, SwiGLU, the down
 * product + LoRA. The final norm and the LM head run only for the rows whose logits are wanted. Every
 * product runs on split-bf16 inputs (hi and lo halves as twice the rows; see common.cuh), which keeps
 * float32-like accuracy on bf16 tensor cores.
 *
 * <p>Memory: base weights (bf16) and the step's workspace are plain allocations; the KV cache and the
 * adapters share one {@link DevicePool} of pages. KV blocks are reserved by {@link #allocateKvCache};
 * an adapter takes pages on {@link #uploadAdapter} and is copied in on its own stream (the first step that
 * uses it waits for the copy). Which adapters stay on the device is the engine's decision: this class only
 * uploads and frees them.
 */
final class CudaBackend implements Backend {
  private static final Logger log = LoggerFactory.getLogger(CudaBackend.class);
  /** Rank of the adapter (every projection, float32) that sizes the capacity before any adapter was seen. */
  private static final int REFERENCE_RANK = 16;

  private static final int[] QKV = {LoraTarget.Q.ordinal(), LoraTarget.K.ordinal(), LoraTarget.V.ordinal()};
  private static final int[] O = {LoraTarget.O.ordinal()};
  private static final int[] GATE_UP = {LoraTarget.GATE.ordinal(), LoraTarget.UP.ordinal()};
  private static final int[] DOWN = {LoraTarget.DOWN.ordinal()};

  private final LlamaConfig c;
  private final Gpu gpu;
  private final CudaConfig cudaConfig;
  private final Kernels plainKernels;
  private final Gemm plainGemm;
  /** What the step queues its work through: the device itself, or its timed view while a profile is on. */
  private Gpu ops;
  private Kernels kernels;
  private Gemm gemm;
  private KernelProfile profile;
  private final DeviceWeights weights;
  private final RopeTable rope;
  private final Workspace workspace;
  private final GpuStream stream;

  private DevicePool pool;
  private int[] kvPages;
  private LoraUploader uploader;
  private int blockSize;
  private int numBlocks;

  /** Uploaded adapters by index; null where one was freed. */
  private final List<DeviceAdapter> uploaded = new ArrayList<>();
  private int live;
  private int largestAdapterPages;

  private MemorySegment planHost;
  private MemorySegment resultHost;
  private boolean closed;

  /** Takes ownership of {@code gpu}; uploads the model's weights. */
  public CudaBackend(LlamaModel model, Gpu gpu, CudaConfig cudaConfig) {
    this.c = model.config();
    this.gpu = gpu;
    this.cudaConfig = cudaConfig;
    if (!Kernels.HEAD_DIMS.contains(c.headDim())) {
      throw new UnsupportedOperationException("the CUDA backend has attention kernels for head_dim "
          + Kernels.HEAD_DIMS + ", not " + c.headDim());
    }
    gpu.makeCurrent();
    long t0 = System.nanoTime();
    this.stream = gpu.computeStream();
    this.plainKernels = new Kernels(gpu);
    this.plainGemm = chooseGemm(gpu, plainKernels, cudaConfig.gemm());
    this.ops = gpu;
    this.kernels = plainKernels;
    this.gemm = plainGemm;
    this.weights = new DeviceWeights(gpu, c, model.weights());
    this.rope = new RopeTable(gpu, c);
    this.workspace = new Workspace(gpu);
    log.info("CUDA backend on {}: {} MiB of weights uploaded in {} ms, products on {}", gpu.deviceName(),
        weights.bytes() >> 20, (System.nanoTime() - t0) / 1_000_000, gemm.name());
  }

  private static Gemm chooseGemm(Gpu gpu, Kernels kernels, CudaConfig.GemmChoice choice) {
    if (choice != CudaConfig.GemmChoice.KERNEL && gpu instanceof JCudaGpu jg) {
      Optional<CublasLibrary> lib = CublasLibrary.load();
      if (lib.isPresent()) {
        return new CublasGemm(lib.get(), jg.rawStream(gpu.computeStream()));
      }
      if (choice == CudaConfig.GemmChoice.CUBLAS) {
        throw new GpuException("cuBLAS not found (looked for " + CublasLibrary.candidates()
            + "); set LORAFLEET_CUBLAS to libcublas.so.13 or .12");
      }
      log.warn("cuBLAS not found (set LORAFLEET_CUBLAS to its path): matrix products run on the slower own kernel");
    }
    return new KernelGemm(kernels, gpu.computeStream());
  }

  @Override
  public String name() {
    return "cuda(" + gpu.deviceName() + ", " + gemm.name() + ")";
  }

  @Override
  public LlamaConfig config() {
    return c;
  }

  Gpu gpu() {
    return gpu;
  }

  /** The page pool (null before {@link #allocateKvCache}). */
  DevicePool pool() {
    return pool;
  }

  String gemmName() {
    return plainGemm.name();
  }

  // ------------------------------------------------------------------ measurement

  /**
   * Times every operation of the following steps on the compute stream until {@link #stopProfile}; the
   * returned profile fills as steps complete.
   */
  KernelProfile startProfile() {
    gpu.makeCurrent();
    stopProfile();
    profile = new KernelProfile(gpu, stream);
    ops = new TimedGpu(gpu, profile);
    kernels = new Kernels(ops);
    gemm = new TimedGemm(plainGemm, profile, this::productLabel);
    return profile;
  }

  /** Ends profiling (steps run untimed again). */
  void stopProfile() {
    if (profile != null) {
      profile.discard();
    }
    profile = null;
    ops = gpu;
    kernels = plainKernels;
    gemm = plainGemm;
  }

  /** Names a product by the weight it multiplies: {@code n} outputs, {@code k} inputs. */
  private String productLabel(int n, int k) {
    int h = c.hiddenSize();
    String what;
    if (n == c.queryDim() + 2 * c.kvDim() && k == h) {
      what = "qkv";
    } else if (n == h && k == c.queryDim()) {
      what = "o";
    } else if (n == 2 * c.intermediateSize() && k == h) {
      what = "gate_up";
    } else if (n == h && k == c.intermediateSize()) {
      what = "down";
    } else if (n == c.vocabSize() && k == h) {
      what = "lm_head";
    } else {
      what = n + "x" + k;
    }
    return "gemm[" + what + "]";
  }

  /**
   * The device's copy bandwidth, measured now on the compute stream with two buffers of {@code bytes}
   * (taken from the memory outside the page pool, and freed again).
   */
  CudaDiagnostics.CopyBandwidth measureCopyBandwidth(long bytes, int copiesPerRep, int reps) {
    gpu.makeCurrent();
    gpu.synchronize(stream);
    return DeviceCopyBandwidth.measure(gpu, stream, bytes, copiesPerRep, reps);
  }

  /** Blocks until every adapter upload queued so far has reached the device. */
  void awaitAdapterUploads() {
    gpu.makeCurrent();
    if (uploader != null) {
      gpu.synchronize(uploader.stream());
    }
  }

  // ------------------------------------------------------------------ memory: KV cache and adapters

  @Override
  public long kvBytesPerBlock(int blockSize) {
    return 2L * c.numLayers() * blockSize * c.kvDim() * Float.BYTES;
  }

  @Override
  public void allocateKvCache(int numBlocks, int blockSize) {
    gpu.makeCurrent();
    if (numBlocks < 1 || blockSize < 1) {
      throw new IllegalArgumentException("numBlocks and blockSize must be positive");
    }
    if (pool != null) {
      if (live > 0) {
        throw new IllegalStateException("allocateKvCache again while adapters are on the device");
      }
      uploader.close();
      pool.close();
    }
    int widest = Math.max(Math.max(c.hiddenSize(), c.intermediateSize()), Math.max(c.queryDim(), c.kvDim()));
    long minPiece = Math.max(4L * widest, Math.max((long) c.numLayers() * AdapterLayout.NUM_TARGETS * Long.BYTES,
        AdapterLayout.DESCRIPTOR_HEADER + 16L * Kernels.LORA_MAX_RANK));
    long pageBytes = DevicePool.pageBytesFor(kvBytesPerBlock(blockSize), minPiece);
    long free = gpu.freeMemory();
    long kvBytes = pageBytes * numBlocks;
    long adapterBytes = cudaConfig.adapterPoolBytes() > 0 ? cudaConfig.adapterPoolBytes()
        : Math.max(0, free - kvBytes - cudaConfig.reserveBytes());
    if (kvBytes + adapterBytes > free) {
      throw new IllegalStateException("KV cache of " + numBlocks + " blocks (" + (kvBytes >> 20) + " MiB) and "
          + (adapterBytes >> 20) + " MiB for adapters do not fit in the " + (free >> 20) + " MiB free on "
          + gpu.deviceName());
    }
    int adapterPages = (int) Math.min(adapterBytes / pageBytes, Integer.MAX_VALUE - (long) numBlocks);
    pool = new DevicePool(gpu, pageBytes, numBlocks + adapterPages);
    kvPages = pool.pages().allocate(numBlocks, Use.KV);
    uploader = new LoraUploader(gpu, pool, c.numLayers());
    this.numBlocks = numBlocks;
    this.blockSize = blockSize;
    log.info("device pool: {} pages of {} KiB ({} MiB): {} KV blocks of {} tokens, {} pages for adapters",
        pool.pages().pages(), pageBytes >> 10, pool.bytes() >> 20, numBlocks, blockSize, adapterPages);
  }

  @Override
  public int uploadAdapter(LoraAdapter adapter) {
    gpu.makeCurrent();
    requirePool();
    if (live >= cudaConfig.maxAdapters()) {
      throw new DeviceFullException("all " + cudaConfig.maxAdapters() + " adapter places of " + name() + " are taken");
    }
    AdapterLayout layout = uploader.layout(adapter);
    int[] pages = pool.pages().allocate(layout.pages(), Use.ADAPTER);
    if (pages == null) {
      throw new DeviceFullException("adapter " + adapter.id() + " needs " + layout.pages() + " device pages and only "
          + pool.pages().freePages() + " are free (" + live + " adapters on the device)");
    }
    DeviceAdapter d = uploader.upload(adapter, layout, pages);
    largestAdapterPages = Math.max(largestAdapterPages, pages.length);
    live++;
    int index = uploaded.indexOf(null);
    if (index < 0) {
      uploaded.add(d);
      return uploaded.size() - 1;
    }
    uploaded.set(index, d);
    return index;
  }

  @Override
  public void freeAdapter(int index) {
    gpu.makeCurrent();
    DeviceAdapter d = index >= 0 && index < uploaded.size() ? uploaded.get(index) : null;
    if (d == null) {
      throw new IllegalArgumentException("no adapter is uploaded at index " + index);
    }
    uploaded.set(index, null);
    live--;
    uploader.finish(d);
    pool.pages().free(d.pages(), Use.ADAPTER);
    log.debug("adapter {} freed from the device ({} pages)", d.adapter().id(), d.numPages());
  }

  /**
   * How many adapters the pool's adapter pages hold, counting each at the size of the largest adapter seen
   * (or a rank-16 adapter on every projection before any), at most {@code maxAdapters}.
   */
  @Override
  public int adapterCapacity() {
    if (pool == null) {
      return cudaConfig.maxAdapters();
    }
    long adapterPages = pool.pages().pages() - (long) numBlocks;
    int per = Math.max(1, largestAdapterPages > 0 ? largestAdapterPages : referenceAdapterPages());
    return (int) Math.min(cudaConfig.maxAdapters(), adapterPages / per);
  }

  private int referenceAdapterPages() {
    long perLayer = 0;
    for (LoraTarget t : LoraTarget.values()) {
      perLayer += (long) REFERENCE_RANK * (t.inFeatures(c) + t.outFeatures(c)) * Float.BYTES + 512;
    }
    return (int) ((perLayer * c.numLayers() + pool.pageBytes() - 1) / pool.pageBytes()) + 1;
  }

  private void requirePool() {
    if (pool == null) {
      throw new IllegalStateException("allocateKvCache was not called");
    }
  }

  // ------------------------------------------------------------------ the forward pass

  @Override
  public Logits forward(ForwardBatch b) {
    Step step = queueStep(b);
    int n = step.plan().logitRows().length;
    int vocab = c.vocabSize();
    float[] values = new float[n * vocab];
    if (n > 0) {
      MemorySegment host = result((long) n * vocab * Float.BYTES);
      ops.copyToHost(host, step.logits(), stream);
      gpu.synchronize(stream);
      MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, 0, values, 0, n * vocab);
    } else {
      gpu.synchronize(stream);
    }
    stepDone();
    return new Logits(n, vocab, values);
  }

  private void stepDone() {
    if (profile != null) {
      profile.stepFinished();
    }
  }

  /** One step with the greedy choice made on the device: the argmax token of each logit row. */
  public int[] forwardGreedy(ForwardBatch b) {
    Step step = queueStep(b);
    int n = step.plan().logitRows().length;
    int[] out = new int[n];
    if (n > 0) {
      long ids = workspace.ensure(Buffer.PLAN, 0) + step.plan().bytes();
      kernels.argmaxRows(stream, step.logits(), c.vocabSize(), n, ids);
      MemorySegment host = result(4L * n);
      ops.copyToHost(host.asSlice(0, 4L * n), ids, stream);
      gpu.synchronize(stream);
      MemorySegment.copy(host, ValueLayout.JAVA_INT, 0, out, 0, n);
    } else {
      gpu.synchronize(stream);
    }
    stepDone();
    return out;
  }

  private record Step(StepPlan plan, long logits) {}

  /** Queues a whole step on the compute stream; returns the plan and the device address of its logits. */
  private Step queueStep(ForwardBatch b) {
    if (closed) {
      throw new IllegalStateException("backend closed");
    }
    gpu.makeCurrent();
    requirePool();
    if (profile != null) {
      profile.discard();
      profile.stepStarted();
    }
    for (int t : b.tokenIds()) {
      if (t < 0 || t >= c.vocabSize()) {
        throw new IllegalArgumentException("token id " + t + " outside the vocabulary of " + c.vocabSize());
      }
    }
    StepPlanner.Shape shape = new StepPlanner.Shape(c.numLayers(), c.numHeads(), c.numKvHeads(), blockSize, numBlocks,
        cudaConfig.decodeChunk());
    StepPlan plan = StepPlanner.plan(b, shape, id -> kvPages[id],
        index -> index < uploaded.size() ? uploaded.get(index) : null);

    final int rows = plan.rows();
    final int h = c.hiddenSize();
    final int qd = c.queryDim();
    final int kvd = c.kvDim();
    final int inter = c.intermediateSize();
    final int qkvDim = qd + 2 * kvd;
    final int n = plan.logitRows().length;
    final int vocab = c.vocabSize();
    final float eps = (float) c.rmsNormEps();
    final float scale = (float) (1.0 / Math.sqrt(c.headDim()));

    // Workspace and tables first: growing them frees memory, which needs the stream idle (it is).
    long ropeTable = rope.ensure(plan.maxPosition());
    long planBytes = plan.bytes();
    long meta = workspace.ensure(Buffer.PLAN, planBytes + 4L * Math.max(1, n));
    long x = workspace.ensure(Buffer.X, 4L * rows * h);
    long normed = workspace.ensure(Buffer.NORMED, 2L * 2 * rows * Math.max(h, 1));
    long qkv = workspace.ensure(Buffer.QKV, 4L * 2 * rows * qkvDim);
    long q = workspace.ensure(Buffer.Q, 4L * rows * qd);
    long att = workspace.ensure(Buffer.ATTENTION, 2L * 2 * rows * qd);
    long proj = workspace.ensure(Buffer.PROJECTION, 4L * 2 * rows * h);
    long gu = workspace.ensure(Buffer.GATE_UP, 4L * 2 * rows * 2 * inter);
    long act = workspace.ensure(Buffer.ACTIVATION, 2L * 2 * rows * inter);
    long loraT = workspace.ensure(Buffer.LORA, 4L * rows * Kernels.LORA_TARGETS_PER_LAUNCH * Math.max(1, plan.maxRank()));
    long partial = workspace.ensure(Buffer.PARTIAL,
        4L * Math.max(1, plan.numDecodeItems()) * c.numHeads() * (c.headDim() + 2));
    long fin = workspace.ensure(Buffer.FINAL, 2L * 2 * Math.max(1, n) * h);
    long logitsSplit = workspace.ensure(Buffer.LOGITS_SPLIT, 4L * 2 * Math.max(1, n) * vocab);
    long logits = workspace.ensure(Buffer.LOGITS, 4L * Math.max(1, n) * vocab);

    // The plan goes over in one copy from page-locked memory.
    MemorySegment host = planStaging(planBytes);
    Map<Section, Long> off = plan.writeTo(host);
    ops.copyToDevice(meta, host.asSlice(0, planBytes), stream);
    Addr m = s -> meta + off.get(s);

    // Adapters still on their way: the compute stream waits for their uploads (once).
    for (DeviceAdapter d : plan.adapters()) {
      GpuEvent e = d.takeUploadEvent();
      if (e != null) {
        gpu.await(stream, e);
        gpu.release(e);
      }
    }

    long pageFloats = pool.pageBytes() / Float.BYTES;
    kernels.embedRows(stream, x, weights.embed(), m.of(Section.TOKENS), rows, h);
    long residual = 0;
    for (int l = 0; l < c.numLayers(); l++) {
      DeviceWeights.Layer w = weights.layers().get(l);
      long layerOffset = 2L * l * blockSize * kvd;

      kernels.residualRmsnorm(stream, x, residual, h, (long) rows * h, w.attnNorm(), eps, 0, rows, h, normed);
      gemm.multiply(normed, w.qkv(), qkv, 2 * rows, qkvDim, h, qkvDim);
      lora(plan, m, l, QKV, new int[] {0, qd, qd + kvd}, Math.max(qd, kvd), normed, h, qkv, qkvDim, loraT);
      kernels.ropeKvWrite(stream, qkv, (long) rows * qkvDim, q, ropeTable, m.of(Section.POSITIONS),
          m.of(Section.KV_PAGE), m.of(Section.KV_OFFSET), pool.base(), pageFloats, layerOffset, blockSize, rows,
          c.numHeads(), c.numKvHeads(), c.headDim());
      if (plan.numDecodeItems() > 0) {
        kernels.attentionDecode(stream, c.headDim(), q, partial, m.of(Section.DECODE_ITEMS), plan.numDecodeItems(),
            m.of(Section.POSITIONS), m.of(Section.PAGE_TABLE), m.of(Section.ROW_PAGE_START), pool.base(), pageFloats,
            layerOffset, blockSize, c.numHeads(), c.numKvHeads(), cudaConfig.decodeChunk(), scale);
        kernels.attentionCombine(stream, partial, m.of(Section.DECODE_ROWS), m.of(Section.DECODE_ITEM_START),
            m.of(Section.DECODE_ITEM_COUNT), plan.decodeRows().length, c.numHeads(), c.headDim(), rows, att);
      }
      if (plan.numPrefillTiles() > 0) {
        kernels.attentionPrefill(stream, c.headDim(), q, att, rows, m.of(Section.PREFILL_TILES),
            plan.numPrefillTiles(), m.of(Section.POSITIONS), m.of(Section.PAGE_TABLE), pool.base(), pageFloats,
            layerOffset, blockSize, c.numHeads(), c.numKvHeads(), plan.headsPerTile(), scale);
      }
      gemm.multiply(att, w.o(), proj, 2 * rows, h, qd, h);
      lora(plan, m, l, O, new int[] {0}, h, att, qd, proj, h, loraT);

      kernels.residualRmsnorm(stream, x, proj, h, (long) rows * h, w.ffnNorm(), eps, 0, rows, h, normed);
      gemm.multiply(normed, w.gateUp(), gu, 2 * rows, 2 * inter, h, 2 * inter);
      lora(plan, m, l, GATE_UP, new int[] {0, inter}, inter, normed, h, gu, 2 * inter, loraT);
      kernels.siluMul(stream, gu, 2 * inter, (long) rows * 2 * inter, inter, rows, act);
      gemm.multiply(act, w.down(), proj, 2 * rows, h, inter, h);
      lora(plan, m, l, DOWN, new int[] {0}, h, act, inter, proj, h, loraT);
      residual = proj;
    }
    if (n > 0) {
      kernels.residualRmsnorm(stream, x, residual, h, (long) rows * h, weights.finalNorm(), eps,
          m.of(Section.LOGIT_ROWS), n, h, fin);
      gemm.multiply(fin, weights.lmHead(), logitsSplit, 2 * n, vocab, h, vocab);
      kernels.foldRows(stream, logitsSplit, vocab, (long) n * vocab, vocab, n, logits);
    }
    return new Step(plan, logits);
  }

  /** A section's device address. */
  @FunctionalInterface
  private interface Addr {
    long of(Section s);
  }

  /** LoRA for one group of targets that read the same input {@code in} and write columns of {@code y}. */
  private void lora(StepPlan plan, Addr m, int layer, int[] targets, int[] cols, int maxOut, long in, int inDim,
      long y, int ldy, long t) {
    if (!plan.hasLora()) {
      return;
    }
    int mask = 0;
    for (int target : targets) {
      mask |= 1 << target;
    }
    if ((plan.loraTargets()[layer] & mask) == 0) {
      return;
    }
    int items = plan.numLoraItems();
    kernels.loraShrink(stream, in, plan.rows(), inDim, t, plan.maxRank(), m.of(Section.LORA_ITEM_ROW),
        m.of(Section.LORA_ITEM_COUNT), m.of(Section.LORA_ITEM_ROOT), items, layer, targets);
    kernels.loraExpand(stream, y, ldy, t, plan.maxRank(), m.of(Section.LORA_ITEM_ROW), m.of(Section.LORA_ITEM_COUNT),
        m.of(Section.LORA_ITEM_ROOT), items, layer, targets, cols, maxOut);
  }

  private MemorySegment planStaging(long bytes) {
    if (planHost == null || planHost.byteSize() < bytes) {
      if (planHost != null) {
        gpu.freePinned(planHost);
      }
      planHost = gpu.allocatePinned(Math.max(bytes, 64 << 10) * 2);
    }
    return planHost;
  }

  private MemorySegment result(long bytes) {
    if (resultHost == null || resultHost.byteSize() < bytes) {
      if (resultHost != null) {
        gpu.freePinned(resultHost);
      }
      resultHost = gpu.allocatePinned(Math.max(bytes, 1 << 20));
    }
    return resultHost.asSlice(0, bytes);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    gpu.makeCurrent();
    gpu.synchronize(stream);
    stopProfile();
    if (uploader != null) {
      for (DeviceAdapter d : uploaded) {
        if (d != null) {
          uploader.finish(d);
        }
      }
      uploader.close();
    }
    if (pool != null) {
      pool.close();
    }
    if (planHost != null) {
      gpu.freePinned(planHost);
    }
    if (resultHost != null) {
      gpu.freePinned(resultHost);
    }
    workspace.close();
    rope.close();
    weights.close();
    plainGemm.close();
    gpu.close();
  }
}
