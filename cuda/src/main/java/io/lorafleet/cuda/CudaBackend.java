package io.lorafleet.cuda;

import io.lorafleet.cuda.PageAllocator.Use;
import io.lorafleet.cuda.StepPlan.Section;
import io.lorafleet.cuda.Workspace.Buffer;
import io.lorafleet.runtime.backend.Backend;
import io.lorafleet.runtime.backend.DeviceFullException;
import io.lorafleet.runtime.backend.ForwardBatch;
import io.lorafleet.runtime.backend.Logits;
import io.lorafleet.runtime.backend.RowSampling;
import io.lorafleet.runtime.backend.SampledLogits;
import io.lorafleet.runtime.format.LlamaConfig;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LlamaWeights;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.model.LoraTarget;
import io.lorafleet.runtime.model.Quantization;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Llama forward pass on an NVIDIA GPU, for a batch of sequences at different positions with
 * different adapters: the same computation as {@code CpuBackend}, step by step, with the token choice made
 * on the device as the engine's host Sampler would make it ({@link #forwardSampled}).
 *
 * <p>Per layer: residual add + RMSNorm (one kernel, writing the split-bf16 input of the next product),
 * the fused q/k/v product, LoRA for q/k/v (shrink and expand over the step's adapter items), RoPE + K/V
 * cache write, attention (flash-decoding for single-row sequences, split to fill the device; tiled causal
 * attention for prefill chunks), the o product + LoRA, residual + RMSNorm, the fused gate/up product +
 * LoRA, SwiGLU, the down product + LoRA. The final norm and the LM head run only for the rows whose logits
 * are wanted (in slices of at most a decode bucket's rows), then the sampling kernel. Every product runs on
 * split-bf16 inputs (hi and lo halves as twice the rows; see common.cuh), which keeps float32-like
 * accuracy on bf16 tensor cores.
 *
 * <p>Two ways through a step. A decode step (every sequence one row) writes its inputs at fixed offsets
 * ({@link DecodeInputs}) and runs as a CUDA graph captured once per batch-size bucket (1, 2, 4, ... up to
 * the largest bucket) and LoRA target set: at steady state one input copy, one graph launch, one copy of
 * (token, logprob) pairs back and one synchronization. Any other step (prefill chunks, mixed steps) is
 * planned by {@link StepPlanner} and queued kernel by kernel. Both queue the same kernels in the same
 * order, so a replayed graph computes exactly what the eager decode step computes.
 *
 * <p>Memory: base weights (bf16), the RoPE table for every position the model has, and the step's
 * workspace ({@link Workspace}, sized from the engine's step limits by {@link #reserveStepMemory}) are
 * allocated before the pool; the KV cache and the adapters share one {@link DevicePool} of pages.
 * Adapters are packed off the engine thread and copied in on their own stream ({@link LoraUploader}); the
 * first step that uses one waits for its copy. Which adapters stay on the device is the engine's
 * decision: this class only uploads and frees them.
 */
final class CudaBackend implements Backend {
  private static final Logger log = LoggerFactory.getLogger(CudaBackend.class);
  /** Rank of the adapter (every projection, float32) that sizes the capacity before any adapter was seen. */
  private static final int REFERENCE_RANK = 16;
  /** Largest decode bucket (rows of the largest captured decode graph). */
  static final int MAX_BUCKET = 256;
  /** Step limits assumed when nobody called {@link #reserveStepMemory} before the KV cache. */
  static final int DEFAULT_MAX_BATCH_TOKENS = 2048;
  static final int DEFAULT_MAX_NUM_SEQS = 64;
  /** cuBLAS's own workspace (NVIDIA recommends 32 MiB on Hopper), needed to capture it into graphs. */
  private static final long CUBLAS_WORKSPACE = 32L << 20;

  private static final int[] QKV = {LoraTarget.Q.ordinal(), LoraTarget.K.ordinal(), LoraTarget.V.ordinal()};
  private static final int[] O = {LoraTarget.O.ordinal()};
  private static final int[] GATE_UP = {LoraTarget.GATE.ordinal(), LoraTarget.UP.ordinal()};
  private static final int[] DOWN = {LoraTarget.DOWN.ordinal()};

  private final LlamaConfig c;
  private final Gpu gpu;
  private final CudaConfig cudaConfig;
  private final Kernels plainKernels;
  private final Gemm plainGemm;
  /** The products over the projections and the LM head: plainGemm, or Int8KernelGemm where quantized. */
  private final Gemm plainProjectionGemm;
  private final Gemm plainHeadGemm;
  /** What the step queues its work through: the device itself, or its timed view while a profile is on. */
  private Gpu ops;
  private Kernels kernels;
  private Gemm gemm;
  private Gemm projectionGemm;
  private Gemm headGemm;
  private KernelProfile profile;
  private final DeviceWeights weights;
  private final RopeTable rope;
  private final Workspace workspace;
  private final GpuStream stream;
  private long cublasWorkspace;

  private DevicePool pool;
  private int[] kvPages;
  private int scratchPage;
  private LoraUploader uploader;
  private int blockSize;
  private int numBlocks;

  /** Uploaded adapters by index; null where one was freed. */
  private final List<DeviceAdapter> uploaded = new ArrayList<>();
  private int live;
  private int largestAdapterPages;

  private DecodeInputs.Layout decodeLayout;
  private long decodeInputs;
  private MemorySegment decodeHost;
  private MemorySegment planHost;
  private MemorySegment resultHost;
  /** Captured decode steps by bucket and LoRA targets. */
  private final Map<Integer, DecodeGraph> graphs = new HashMap<>();
  private boolean graphsOn;
  private long stamp;
  private boolean closed;

  /** A captured decode step and what its addresses depend on. */
  private record DecodeGraph(GpuGraph graph, int workspaceGeneration, long ropeTable) {}

  /** Takes ownership of {@code gpu}; uploads the model's weights. */
  CudaBackend(LlamaModel model, Gpu gpu, CudaConfig cudaConfig) {
    this(model.config(), model.weights(), gpu, cudaConfig, Quantization.NONE);
  }

  /** Takes ownership of {@code gpu}; uploads the model's weights stored as {@code quantization} says. */
  CudaBackend(LlamaModel model, Gpu gpu, CudaConfig cudaConfig, Quantization quantization) {
    this(model.config(), model.weights(), gpu, cudaConfig, quantization);
  }

  /** Takes ownership of {@code gpu}; uploads {@code w}. */
  CudaBackend(LlamaConfig config, LlamaWeights w, Gpu gpu, CudaConfig cudaConfig) {
    this(config, w, gpu, cudaConfig, Quantization.NONE);
  }

  /** Takes ownership of {@code gpu}; uploads {@code w} stored as {@code quantization} says. */
  CudaBackend(LlamaConfig config, LlamaWeights w, Gpu gpu, CudaConfig cudaConfig, Quantization quantization) {
    this.c = config;
    this.gpu = gpu;
    this.cudaConfig = cudaConfig;
    this.graphsOn = cudaConfig.graphs();
    if (!Kernels.HEAD_DIMS.contains(c.headDim())) {
      throw new UnsupportedOperationException("the CUDA backend has attention kernels for head_dim "
          + Kernels.HEAD_DIMS + ", not " + c.headDim());
    }
    gpu.makeCurrent();
    long t0 = System.nanoTime();
    this.stream = gpu.computeStream();
    this.plainKernels = new Kernels(gpu);
    this.plainGemm = chooseGemm(gpu, plainKernels, cudaConfig.gemm());
    if (plainGemm instanceof CublasGemm cg) {
      cublasWorkspace = gpu.allocate(CUBLAS_WORKSPACE);
      cg.setWorkspace(cublasWorkspace, CUBLAS_WORKSPACE);
    }
    this.ops = gpu;
    this.kernels = plainKernels;
    this.gemm = plainGemm;
    this.weights = new DeviceWeights(gpu, c, w, quantization);
    Gemm int8 = quantization == Quantization.INT8 ? new Int8KernelGemm(plainKernels, stream) : null;
    this.plainProjectionGemm = int8 != null ? int8 : plainGemm;
    this.plainHeadGemm = weights.headQuantized() ? int8 : plainGemm;
    this.projectionGemm = plainProjectionGemm;
    this.headGemm = plainHeadGemm;
    this.rope = new RopeTable(gpu, c);
    rope.ensure(Math.max(1, c.maxPositionEmbeddings()) - 1);
    this.workspace = new Workspace(gpu, c);
    log.info("CUDA backend on {}: {} MiB of weights uploaded in {} ms, products on {}, decode graphs {}",
        gpu.deviceName(), weights.bytes() >> 20, (System.nanoTime() - t0) / 1_000_000, productsName(),
        graphsOn ? "on" : "off");
  }

  private static Gemm chooseGemm(Gpu gpu, Kernels kernels, CudaConfig.GemmChoice choice) {
    if (choice != CudaConfig.GemmChoice.KERNEL && gpu instanceof JCudaGpu jg) {
      Optional<CublasLibrary> lib = CublasLibrary.load();
      if (lib.isPresent()) {
        return new CublasGemm(lib.get(), jg.rawStream(gpu.computeStream()));
      }
      throw new GpuException(CublasLibrary.notFound());
    }
    return new KernelGemm(kernels, gpu.computeStream());
  }

  @Override
  public String name() {
    return "cuda(" + gpu.deviceName() + ", " + productsName() + ")";
  }

  private String productsName() {
    return plainProjectionGemm == plainGemm ? plainGemm.name()
        : "int8 weights on " + plainProjectionGemm.name() + (plainHeadGemm == plainGemm ? ", lm_head on " + plainGemm.name() : "");
  }

  @Override
  public Quantization quantization() {
    return weights.quantization();
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

  /** Decode graphs captured so far (0 while graphs are off). */
  int capturedGraphs() {
    return graphs.size();
  }

  /** Whether decode steps run as graphs (off by option, or after a capture failed). */
  boolean graphsOn() {
    return graphsOn;
  }

  Workspace workspace() {
    return workspace;
  }

  // ------------------------------------------------------------------ measurement

  /**
   * Times every operation of the following steps on the compute stream until {@link #stopProfile}; the
   * returned profile fills as steps complete. Decode steps run eagerly meanwhile, so each kernel is timed.
   */
  KernelProfile startProfile() {
    gpu.makeCurrent();
    stopProfile();
    profile = new KernelProfile(gpu, stream);
    ops = new TimedGpu(gpu, profile);
    kernels = new Kernels(ops);
    gemm = new TimedGemm(plainGemm, profile, this::productLabel);
    projectionGemm = plainProjectionGemm == plainGemm ? gemm : new TimedGemm(plainProjectionGemm, profile, this::productLabel);
    headGemm = plainHeadGemm == plainGemm ? gemm : projectionGemm;
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
    projectionGemm = plainProjectionGemm;
    headGemm = plainHeadGemm;
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

  /** Blocks until every adapter upload started so far has reached the device. */
  void awaitAdapterUploads() {
    gpu.makeCurrent();
    if (uploader != null) {
      uploader.awaitAll();
    }
  }

  // ------------------------------------------------------------------ memory: step memory, KV cache, adapters

  @Override
  public void reserveStepMemory(int maxBatchTokens, int maxNumSeqs) {
    if (maxBatchTokens < 1 || maxNumSeqs < 1) {
      throw new IllegalArgumentException("step limits must be positive");
    }
    gpu.makeCurrent();
    reserveWorkspace(maxBatchTokens, maxNumSeqs);
  }

  /** The largest decode bucket for steps of up to {@code maxNumSeqs} sequences and {@code rows} rows. */
  static int maxBucket(int rows, int maxNumSeqs) {
    int want = Math.max(1, Math.min(rows, maxNumSeqs));
    return Math.min(MAX_BUCKET, Integer.highestOneBit(want) << (Integer.bitCount(want) == 1 ? 0 : 1));
  }

  /** The bucket (graph rows) of a decode step of {@code rows} rows. */
  static int bucket(int rows) {
    return rows <= 1 ? 1 : Integer.highestOneBit(rows - 1) << 1;
  }

  private void reserveWorkspace(int rows, int maxNumSeqs) {
    dropGraphs();
    int maxBucket = maxBucket(rows, maxNumSeqs);
    int r = Math.max(rows, maxBucket);
    int decodeRows = Math.max(maxBucket, Math.min(r, maxNumSeqs));
    int items = 0;
    for (int d = 1; d <= decodeRows; d++) {
      items = Math.max(items, d * Kernels.decodeSplits(d, c.numKvHeads(), gpu.multiprocessors()));
    }
    long plan = 4L * 14 * r + 8L * r + (long) SamplingInputs.PARAMS_BYTES * r + (64 << 10);
    workspace.reserve(new Workspace.Limits(r, maxBucket, decodeRows, items, plan));
    long result = 8L * r;
    long hostRows = 4L * maxBucket * c.vocabSize();
    if (resultHost != null) {
      gpu.freePinned(resultHost);
    }
    resultHost = gpu.allocatePinned(result + hostRows);
    log.info("step memory: {} MiB for steps of up to {} rows, LM head in slices of {} rows, decode graphs up to {}"
        + " rows", workspace.bytes() >> 20, r, maxBucket, maxBucket);
  }

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
    if (!workspace.reserved()) {
      reserveWorkspace(DEFAULT_MAX_BATCH_TOKENS, DEFAULT_MAX_NUM_SEQS);
    }
    dropGraphs();
    if (pool != null) {
      if (live > 0) {
        throw new IllegalStateException("allocateKvCache again while adapters are on the device");
      }
      uploader.close();
      pool.close();
      gpu.free(decodeInputs);
      gpu.freePinned(decodeHost);
    }
    // The decode graphs' inputs: page tables of the largest bucket, every context token once for the penalty.
    int maxBucket = workspace.limits().logitRows();
    long kvTokens = (long) numBlocks * blockSize;
    int penalty = (int) Math.min(Integer.MAX_VALUE / 8, Math.min((long) maxBucket * c.vocabSize(), kvTokens + maxBucket));
    decodeLayout = DecodeInputs.layout(maxBucket, numBlocks + maxBucket + 1, penalty, c.vocabSize());
    decodeInputs = gpu.allocate(decodeLayout.bytes());
    decodeHost = gpu.allocatePinned(decodeLayout.bytes());
    // The general step's plan: its page tables and penalty tokens can reach the whole cache.
    workspace.plan(workspace.limits().planBytes() + 8L * (numBlocks + workspace.limits().rows()) + 4L * kvTokens);

    int widest = Math.max(Math.max(c.hiddenSize(), c.intermediateSize()), Math.max(c.queryDim(), c.kvDim()));
    long minPiece = Math.max(4L * widest, Math.max((long) c.numLayers() * AdapterLayout.NUM_TARGETS * Long.BYTES,
        AdapterLayout.DESCRIPTOR_HEADER + 16L * Kernels.LORA_MAX_RANK));
    long pageBytes = DevicePool.pageBytesFor(kvBytesPerBlock(blockSize), minPiece);
    long free = gpu.freeMemory();
    long kvBytes = pageBytes * (numBlocks + 1L);
    long adapterBytes = cudaConfig.adapterPoolBytes() > 0 ? cudaConfig.adapterPoolBytes()
        : Math.max(0, free - kvBytes - cudaConfig.reserveBytes());
    if (kvBytes + adapterBytes > free) {
      throw new IllegalStateException("KV cache of " + numBlocks + " blocks (" + (kvBytes >> 20) + " MiB) and "
          + (adapterBytes >> 20) + " MiB for adapters do not fit in the " + (free >> 20) + " MiB free on "
          + gpu.deviceName() + " (after " + (workspace.bytes() >> 20) + " MiB of step memory)");
    }
    int adapterPages = (int) Math.min(adapterBytes / pageBytes, Integer.MAX_VALUE - (long) numBlocks - 1);
    pool = new DevicePool(gpu, pageBytes, numBlocks + 1 + adapterPages);
    int[] kv = pool.pages().allocate(numBlocks + 1, Use.KV);
    kvPages = Arrays.copyOf(kv, numBlocks);
    scratchPage = kv[numBlocks];
    uploader = new LoraUploader(gpu, pool, c.numLayers());
    this.numBlocks = numBlocks;
    this.blockSize = blockSize;
    log.info("device pool: {} pages of {} KiB ({} MiB): {} KV blocks of {} tokens (+1 scratch), {} pages for adapters",
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
    long adapterPages = pool.pages().pages() - (long) numBlocks - 1;
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

  // ------------------------------------------------------------------ steps

  @Override
  public boolean samplesOnDevice() {
    return cudaConfig.deviceSampling();
  }

  @Override
  public Logits forward(ForwardBatch b) {
    RowSampling[] host = new RowSampling[b.logitRows().length];
    Arrays.fill(host, RowSampling.HOST);
    return step(b, host).hostLogits();
  }

  /** One step with the greedy choice made on the device: the argmax token of each logit row. */
  int[] forwardGreedy(ForwardBatch b) {
    RowSampling[] greedy = new RowSampling[b.logitRows().length];
    Arrays.fill(greedy, RowSampling.GREEDY);
    return step(b, greedy).tokens();
  }

  @Override
  public SampledLogits forwardSampled(ForwardBatch b, RowSampling[] sampling) {
    return step(b, sampling);
  }

  private SampledLogits step(ForwardBatch b, RowSampling[] sampling) {
    if (closed) {
      throw new IllegalStateException("backend closed");
    }
    gpu.makeCurrent();
    requirePool();
    if (sampling.length != b.logitRows().length) {
      throw new IllegalArgumentException(sampling.length + " sampling rows for " + b.logitRows().length
          + " logits rows");
    }
    for (int t : b.tokenIds()) {
      if (t < 0 || t >= c.vocabSize()) {
        throw new IllegalArgumentException("token id " + t + " outside the vocabulary of " + c.vocabSize());
      }
    }
    if (profile != null) {
      profile.discard();
      profile.stepStarted();
    }
    uploader.flush();
    stamp++;
    SampledLogits out = DecodeInputs.isDecode(b) && b.numRows() <= decodeLayout.maxRows() ? decodeStep(b, sampling)
        : generalStep(b, sampling);
    if (profile != null) {
      profile.stepFinished();
    }
    return out;
  }

  /** Where a step's inputs and work are on the device. */
  private record StepAddresses(int rows, long tokens, long positions, long kvPage, long kvSlot, long rowPageStart,
      long pageTable, long decodeRows, int numDecodeRows, int decodeSplits, long prefillTiles, int numPrefillTiles,
      int headsPerTile, long loraItemRow, long loraItemCount, long loraItemRoot, int numLoraItems, int[] loraTargets,
      long ropeTable) {}

  /** Adapters still on their way: the compute stream waits for their copies (once). */
  private void awaitUploads(List<DeviceAdapter> adapters) {
    for (DeviceAdapter d : adapters) {
      uploader.ready(d);
      GpuEvent e = d.takeUploadEvent();
      if (e != null) {
        gpu.await(stream, e);
        gpu.release(e);
      }
    }
  }

  // ---- decode steps

  private SampledLogits decodeStep(ForwardBatch b, RowSampling[] sampling) {
    final int n = b.numRows();
    final int rows = bucket(n);
    final int vocab = c.vocabSize();
    DecodeInputs.Written w = DecodeInputs.write(decodeHost, decodeLayout, b, sampling, rows, blockSize, numBlocks, vocab,
        id -> kvPages[id], index -> index < uploaded.size() ? uploaded.get(index) : null, scratchPage, stamp);
    rope.ensure(w.maxPosition());
    awaitUploads(w.adapters());
    ops.copyToDevice(decodeInputs, decodeHost.asSlice(0, w.headBytes()), stream);
    if (w.penaltyBytes() > 0) {
      long at = decodeLayout.at(DecodeInputs.Section.PENALTY_TOKENS);
      ops.copyToDevice(decodeInputs + at, decodeHost.asSlice(at, w.penaltyBytes()), stream);
    }
    if (w.maskBytes() > 0) {
      long at = decodeLayout.at(DecodeInputs.Section.MASKS);
      ops.copyToDevice(decodeInputs + at, decodeHost.asSlice(at, w.maskBytes()), stream);
    }
    int targets = loraGroups(w.loraTargets());
    StepAddresses a = decodeAddresses(rows, targets);
    DecodeGraph g = profile == null && graphsOn ? graph(rows, targets, a) : null;
    if (g != null) {
      ops.launch(g.graph(), stream);
    } else {
      queueDecode(a);
    }
    long result = workspace.address(Buffer.RESULT);
    ops.copyToHost(resultHost.asSlice(0, 8L * rows), result, stream);
    int[] hostRow = new int[n];
    int hostRows = hostRows(sampling, 0, n, hostRow, 0);
    float[] hostValues = new float[hostRows * vocab];
    if (hostRows > 0) {
      copyHostRows(sampling, 0, n, workspace.address(Buffer.LOGITS), hostRow, hostValues);
    } else {
      gpu.synchronize(stream);
    }
    int[] tokens = new int[n];
    float[] logprobs = new float[n];
    MemorySegment.copy(resultHost, ValueLayout.JAVA_INT, 0, tokens, 0, n);
    MemorySegment.copy(resultHost, ValueLayout.JAVA_FLOAT, 4L * rows, logprobs, 0, n);
    return new SampledLogits(tokens, logprobs, new Logits(hostRows, vocab, hostValues), hostRow);
  }

  /** Target bits widened to the groups launched together (q/k/v, o, gate/up, down). */
  private static int loraGroups(int targets) {
    int out = 0;
    for (int[] group : List.of(QKV, O, GATE_UP, DOWN)) {
      int mask = 0;
      for (int t : group) {
        mask |= 1 << t;
      }
      if ((targets & mask) != 0) {
        out |= mask;
      }
    }
    return out;
  }

  private StepAddresses decodeAddresses(int rows, int targets) {
    long base = decodeInputs;
    DecodeInputs.Layout l = decodeLayout;
    int[] perLayer = new int[c.numLayers()];
    Arrays.fill(perLayer, targets);
    return new StepAddresses(rows, base + l.at(DecodeInputs.Section.TOKENS), base + l.at(DecodeInputs.Section.POSITIONS),
        base + l.at(DecodeInputs.Section.KV_PAGE), base + l.at(DecodeInputs.Section.KV_SLOT),
        base + l.at(DecodeInputs.Section.ROW_PAGE_START), base + l.at(DecodeInputs.Section.PAGE_TABLE),
        base + l.at(DecodeInputs.Section.DECODE_ROWS), rows,
        Kernels.decodeSplits(rows, c.numKvHeads(), gpu.multiprocessors()), 0, 0, 1,
        base + l.at(DecodeInputs.Section.LORA_ITEM_ROW), base + l.at(DecodeInputs.Section.LORA_ITEM_COUNT),
        base + l.at(DecodeInputs.Section.LORA_ITEM_ROOT), targets == 0 ? 0 : rows, perLayer,
        rope.address());
  }

  /** The captured graph of a decode step of {@code rows} rows and LoRA targets {@code targets}, capturing it now if needed. */
  private DecodeGraph graph(int rows, int targets, StepAddresses a) {
    int key = rows * 128 + targets;
    DecodeGraph g = graphs.get(key);
    if (g != null && g.workspaceGeneration() == workspace.generation() && g.ropeTable() == rope.address()) {
      return g;
    }
    if (g != null) {
      gpu.destroy(g.graph());
      graphs.remove(key);
    }
    long t0 = System.nanoTime();
    try {
      gpu.beginCapture(stream);
    } catch (RuntimeException e) {
      disableGraphs(e);
      return null;
    }
    GpuGraph captured;
    try {
      queueDecode(a);
    } catch (RuntimeException e) {
      try {
        gpu.destroy(gpu.endCapture(stream));
      } catch (RuntimeException ignored) {
        // the capture is broken either way
      }
      disableGraphs(e);
      return null;
    }
    try {
      captured = gpu.endCapture(stream);
    } catch (RuntimeException e) {
      disableGraphs(e);
      return null;
    }
    g = new DecodeGraph(captured, workspace.generation(), rope.address());
    graphs.put(key, g);
    log.info("decode graph for {} rows (LoRA targets {}) captured: {} operations in {} ms", rows,
        Integer.toBinaryString(targets), captured.operations(), (System.nanoTime() - t0) / 1_000_000);
    return g;
  }

  private void disableGraphs(RuntimeException e) {
    graphsOn = false;
    log.error("capturing a decode step into a CUDA graph failed; decode steps run kernel by kernel from now on "
        + "(much more host time per step)", e);
  }

  private void dropGraphs() {
    for (DecodeGraph g : graphs.values()) {
      gpu.destroy(g.graph());
    }
    graphs.clear();
  }

  /** Everything a decode step queues: the layers, the LM head over every row, the token choice. */
  private void queueDecode(StepAddresses a) {
    long residual = queueLayers(a);
    int n = a.rows();
    queueHead(residual, a.rows(), 0, n);
    kernels.sampleTokens(stream, workspace.address(Buffer.LOGITS), c.vocabSize(), n,
        decodeInputs + decodeLayout.at(DecodeInputs.Section.SAMPLE_PARAMS),
        decodeInputs + decodeLayout.at(DecodeInputs.Section.PENALTY_TOKENS),
        decodeInputs + decodeLayout.at(DecodeInputs.Section.MASKS), workspace.address(Buffer.SCORES),
        workspace.address(Buffer.PROBS), workspace.address(Buffer.RESULT), workspace.address(Buffer.RESULT) + 4L * n);
  }

  // ---- other steps

  private SampledLogits generalStep(ForwardBatch b, RowSampling[] sampling) {
    StepPlanner.Shape shape = new StepPlanner.Shape(c.numLayers(), c.numHeads(), c.numKvHeads(), blockSize, numBlocks,
        gpu.multiprocessors());
    StepPlan plan = StepPlanner.plan(b, shape, id -> kvPages[id],
        index -> index < uploaded.size() ? uploaded.get(index) : null);
    if (plan.rows() > workspace.limits().rows() || plan.numDecodeItems() > workspace.limits().partialItems()) {
      log.warn("a step of {} rows ({} decode rows) exceeds what the step memory was reserved for ({} rows): "
          + "reserving again", plan.rows(), plan.decodeRows().length, workspace.limits().rows());
      gpu.synchronize(stream);
      reserveWorkspace(Math.max(plan.rows(), workspace.limits().rows()),
          Math.max(plan.decodeRows().length, workspace.limits().decodeRows()));
    }
    final int n = plan.logitRows().length;
    final int vocab = c.vocabSize();
    long ropeTable = rope.ensure(plan.maxPosition());

    // The plan and the sampling inputs go over in one copy from page-locked memory.
    SamplingInputs.Sizes sizes = SamplingInputs.sizes(sampling, 0, n);
    long paramsAt = align(plan.bytes());
    long penaltyAt = align(paramsAt + (long) SamplingInputs.PARAMS_BYTES * n);
    long masksAt = align(penaltyAt + 4L * sizes.penaltyTokens());
    long bytes = align(masksAt + 4L * SamplingInputs.maskWords(vocab) * sizes.maskRows());
    MemorySegment host = planStaging(bytes);
    Map<Section, Long> off = plan.writeTo(host);
    SamplingInputs.write(host, sampling, 0, n, vocab, paramsAt, penaltyAt, masksAt);
    long meta = workspace.plan(bytes);
    ops.copyToDevice(meta, host.asSlice(0, bytes), stream);
    awaitUploads(plan.adapters());

    StepAddresses a = new StepAddresses(plan.rows(), meta + off.get(Section.TOKENS), meta + off.get(Section.POSITIONS),
        meta + off.get(Section.KV_PAGE), meta + off.get(Section.KV_OFFSET), meta + off.get(Section.ROW_PAGE_START),
        meta + off.get(Section.PAGE_TABLE), meta + off.get(Section.DECODE_ROWS), plan.decodeRows().length,
        plan.decodeSplits(), meta + off.get(Section.PREFILL_TILES), plan.numPrefillTiles(), plan.headsPerTile(),
        meta + off.get(Section.LORA_ITEM_ROW), meta + off.get(Section.LORA_ITEM_COUNT),
        meta + off.get(Section.LORA_ITEM_ROOT), plan.numLoraItems(), plan.hasLora() ? plan.loraTargets() : null,
        ropeTable);
    long residual = queueLayers(a);

    // The LM head and the token choice, slice by slice of logits rows.
    int[] hostRow = new int[n];
    int hostRows = hostRows(sampling, 0, n, hostRow, 0);
    float[] hostValues = new float[hostRows * vocab];
    int slice = workspace.limits().logitRows();
    long result = workspace.address(Buffer.RESULT);
    long logits = workspace.address(Buffer.LOGITS);
    for (int s0 = 0; s0 < n; s0 += slice) {
      int count = Math.min(slice, n - s0);
      queueHead(residual, plan.rows(), meta + off.get(Section.LOGIT_ROWS) + 4L * s0, count);
      if (devicesRows(sampling, s0, count)) {
        kernels.sampleTokens(stream, logits, vocab, count, meta + paramsAt + (long) SamplingInputs.PARAMS_BYTES * s0,
            meta + penaltyAt, meta + masksAt, workspace.address(Buffer.SCORES), workspace.address(Buffer.PROBS),
            result + 4L * s0, result + 4L * n + 4L * s0);
      }
      if (hostRows(sampling, s0, count, null, 0) > 0) {
        copyHostRows(sampling, s0, count, logits, hostRow, hostValues);
      }
    }
    int[] tokens = new int[n];
    float[] logprobs = new float[n];
    if (devicesRows(sampling, 0, n)) {
      ops.copyToHost(resultHost.asSlice(0, 8L * n), result, stream);
      gpu.synchronize(stream);
      MemorySegment.copy(resultHost, ValueLayout.JAVA_INT, 0, tokens, 0, n);
      MemorySegment.copy(resultHost, ValueLayout.JAVA_FLOAT, 4L * n, logprobs, 0, n);
    } else {
      gpu.synchronize(stream);
    }
    for (int i = 0; i < n; i++) {
      if (sampling[i].onHost()) {
        tokens[i] = -1;
      }
    }
    return new SampledLogits(tokens, logprobs, new Logits(hostRows, vocab, hostValues), hostRow);
  }

  private static long align(long bytes) {
    return (bytes + 255) / 256 * 256;
  }

  private static boolean devicesRows(RowSampling[] sampling, int from, int count) {
    for (int i = from; i < from + count; i++) {
      if (!sampling[i].onHost()) {
        return true;
      }
    }
    return false;
  }

  /** Counts the host rows of {@code [from, from + count)}; fills {@code hostRow} (when given) from {@code first}. */
  private static int hostRows(RowSampling[] sampling, int from, int count, int[] hostRow, int first) {
    int k = first;
    for (int i = from; i < from + count; i++) {
      if (sampling[i].onHost()) {
        if (hostRow != null) {
          hostRow[i] = k;
        }
        k++;
      } else if (hostRow != null) {
        hostRow[i] = -1;
      }
    }
    return k - first;
  }

  /**
   * Copies the host rows of logits rows {@code [from, from + count)} (at {@code logits}, the slice's first
   * row at 0) into {@code values} at their host-row index: runs of consecutive rows in one copy each, then
   * waits for them.
   */
  private void copyHostRows(RowSampling[] sampling, int from, int count, long logits, int[] hostRow, float[] values) {
    int vocab = c.vocabSize();
    long rowBytes = 4L * vocab;
    long area = 8L * workspace.limits().rows();
    int first = -1;
    for (int i = from; i <= from + count; i++) {
      boolean host = i < from + count && sampling[i].onHost();
      if (host && first < 0) {
        first = i;
      } else if (!host && first >= 0) {
        long dst = area + (first - from) * rowBytes;
        ops.copyToHost(resultHost.asSlice(dst, (i - first) * rowBytes), logits + (first - from) * rowBytes, stream);
        first = -1;
      }
    }
    gpu.synchronize(stream);
    for (int i = from; i < from + count; i++) {
      if (sampling[i].onHost()) {
        MemorySegment.copy(resultHost, ValueLayout.JAVA_FLOAT, area + (i - from) * rowBytes, values,
            hostRow[i] * vocab, vocab);
      }
    }
  }

  // ---- the kernels of a step

  /** Queues the embedding and every layer; returns the last layer's output to add (the residual). */
  private long queueLayers(StepAddresses a) {
    final int rows = a.rows();
    final int h = c.hiddenSize();
    final int qd = c.queryDim();
    final int kvd = c.kvDim();
    final int inter = c.intermediateSize();
    final int qkvDim = qd + 2 * kvd;
    final float eps = (float) c.rmsNormEps();
    final float scale = (float) (1.0 / Math.sqrt(c.headDim()));
    final long x = workspace.address(Buffer.X);
    final long normed = workspace.address(Buffer.NORMED);
    final long qkv = workspace.address(Buffer.QKV);
    final long q = workspace.address(Buffer.Q);
    final long att = workspace.address(Buffer.ATTENTION);
    final long proj = workspace.address(Buffer.PROJECTION);
    final long gu = workspace.address(Buffer.GATE_UP);
    final long act = workspace.address(Buffer.ACTIVATION);
    final long partial = workspace.address(Buffer.PARTIAL);
    final long pageFloats = pool.pageBytes() / Float.BYTES;

    kernels.embedRows(stream, x, weights.embed(), a.tokens(), rows, h);
    long residual = 0;
    for (int l = 0; l < c.numLayers(); l++) {
      DeviceWeights.Layer w = weights.layers().get(l);
      long layerOffset = 2L * l * blockSize * kvd;

      kernels.residualRmsnorm(stream, x, residual, h, (long) rows * h, w.attnNorm(), eps, 0, rows, h, normed);
      projectionGemm.multiply(normed, w.qkv(), qkv, 2 * rows, qkvDim, h, qkvDim);
      lora(a, l, QKV, new int[] {0, qd, qd + kvd}, Math.max(qd, kvd), normed, h, qkv, qkvDim);
      kernels.ropeKvWrite(stream, qkv, (long) rows * qkvDim, q, a.ropeTable(), a.positions(), a.kvPage(), a.kvSlot(),
          pool.base(), pageFloats, layerOffset, blockSize, rows, c.numHeads(), c.numKvHeads(), c.headDim());
      if (a.numDecodeRows() > 0) {
        kernels.attentionDecode(stream, c.headDim(), q, partial, att, a.decodeRows(), a.numDecodeRows(),
            a.decodeSplits(), rows, a.positions(), a.pageTable(), a.rowPageStart(), pool.base(), pageFloats,
            layerOffset, blockSize, c.numHeads(), c.numKvHeads(), scale);
        if (a.decodeSplits() > 1) {
          kernels.attentionCombine(stream, partial, a.decodeRows(), a.numDecodeRows(), a.decodeSplits(), a.positions(),
              c.numHeads(), c.headDim(), rows, att);
        }
      }
      if (a.numPrefillTiles() > 0) {
        kernels.attentionPrefill(stream, c.headDim(), q, att, rows, a.prefillTiles(), a.numPrefillTiles(),
            a.positions(), a.pageTable(), pool.base(), pageFloats, layerOffset, blockSize, c.numHeads(),
            c.numKvHeads(), a.headsPerTile(), scale);
      }
      projectionGemm.multiply(att, w.o(), proj, 2 * rows, h, qd, h);
      lora(a, l, O, new int[] {0}, h, att, qd, proj, h);

      kernels.residualRmsnorm(stream, x, proj, h, (long) rows * h, w.ffnNorm(), eps, 0, rows, h, normed);
      projectionGemm.multiply(normed, w.gateUp(), gu, 2 * rows, 2 * inter, h, 2 * inter);
      lora(a, l, GATE_UP, new int[] {0, inter}, inter, normed, h, gu, 2 * inter);
      kernels.siluMul(stream, gu, 2 * inter, (long) rows * 2 * inter, inter, rows, act);
      projectionGemm.multiply(act, w.down(), proj, 2 * rows, h, inter, h);
      lora(a, l, DOWN, new int[] {0}, h, act, inter, proj, h);
      residual = proj;
    }
    return residual;
  }

  /**
   * The final norm and the LM head for {@code n} logits rows ({@code rowIndex}: their rows in the step, 0
   * for rows 0..n-1), into the LOGITS buffer as float32 {@code [n, vocab]}.
   */
  private void queueHead(long residual, int rows, long rowIndex, int n) {
    final int h = c.hiddenSize();
    final int vocab = c.vocabSize();
    long fin = workspace.address(Buffer.FINAL);
    long logitsSplit = workspace.address(Buffer.LOGITS_SPLIT);
    kernels.residualRmsnorm(stream, workspace.address(Buffer.X), residual, h, (long) rows * h, weights.finalNorm(),
        (float) c.rmsNormEps(), rowIndex, n, h, fin);
    headGemm.multiply(fin, weights.lmHead(), logitsSplit, 2 * n, vocab, h, vocab);
    kernels.foldRows(stream, logitsSplit, vocab, (long) n * vocab, vocab, n, workspace.address(Buffer.LOGITS));
  }

  /** LoRA for one group of targets that read the same input {@code in} and write columns of {@code y}. */
  private void lora(StepAddresses a, int layer, int[] targets, int[] cols, int maxOut, long in, int inDim, long y,
      int ldy) {
    if (a.loraTargets() == null || a.numLoraItems() == 0) {
      return;
    }
    int mask = 0;
    for (int target : targets) {
      mask |= 1 << target;
    }
    if ((a.loraTargets()[layer] & mask) == 0) {
      return;
    }
    long t = workspace.address(Buffer.LORA);
    kernels.loraShrink(stream, in, a.rows(), inDim, t, Kernels.LORA_MAX_RANK, a.loraItemRow(), a.loraItemCount(),
        a.loraItemRoot(), a.numLoraItems(), layer, targets);
    kernels.loraExpand(stream, y, ldy, t, Kernels.LORA_MAX_RANK, a.loraItemRow(), a.loraItemCount(), a.loraItemRoot(),
        a.numLoraItems(), layer, targets, cols, maxOut);
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

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    gpu.makeCurrent();
    gpu.synchronize(stream);
    stopProfile();
    dropGraphs();
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
      gpu.free(decodeInputs);
      gpu.freePinned(decodeHost);
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
    if (cublasWorkspace != 0) {
      gpu.free(cublasWorkspace);
    }
    gpu.close();
  }
}
