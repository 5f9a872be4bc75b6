package io.lorafleet.cuda;

import java.util.List;

/**
 * Typed launches of the kernels in {@code cuda/src/main/cuda}: the one place that knows each kernel's
 * parameter order, grid and block shape. Addresses are device addresses ({@code long}); "split" buffers
 * hold a float matrix as bf16 hi rows followed by bf16 lo rows (see common.cuh).
 */
final class Kernels {
  /** Every kernel entry the backend launches (the build must produce all of them). */
  public static final List<String> NAMES = List.of(
      "embed_rows", "residual_rmsnorm", "rope_kv_write",
      "attention_decode_hd32", "attention_decode_hd64", "attention_decode_hd128", "attention_combine",
      "attention_prefill_hd32", "attention_prefill_hd64", "attention_prefill_hd128",
      "lora_shrink", "lora_expand", "silu_mul", "fold_rows", "sample_tokens", "gemm_bf16", "gemv_w8", "gemm_w8");

  /** Head dims with compiled attention kernels. */
  public static final List<Integer> HEAD_DIMS = List.of(32, 64, 128);
  /** Query heads per decode block (attention.cu DECODE_MAX_HEADS). */
  public static final int DECODE_MAX_HEADS = 8;
  /** Fewest positions per decode range (attention.cu DECODE_MIN_CHUNK). */
  public static final int DECODE_MIN_CHUNK = 16;
  /** Most ranges one decode row's context is split into. */
  public static final int DECODE_MAX_SPLITS = 128;
  /** Query vectors (rows x heads) per prefill block (attention.cu PREFILL_MAX_QUERIES). */
  public static final int PREFILL_MAX_QUERIES = 16;
  /** Rows per LoRA work item (lora.cu LORA_ITEM_ROWS). */
  public static final int LORA_ITEM_ROWS = 4;
  /** Blocks the rank rows of one LoRA shrink item and target are spread over (the shrink grid's z). */
  public static final int LORA_SHRINK_SPLITS = 4;
  /** Outputs one LoRA expand block writes (128 threads x 8). */
  public static final int LORA_EXPAND_OUTPUTS = 128 * 8;
  /** Largest LoRA rank the kernels take (lora.cu LORA_MAX_RANK). */
  public static final int LORA_MAX_RANK = 256;
  /** LoRA targets one launch handles (the t buffer has this many rank vectors per row). */
  public static final int LORA_TARGETS_PER_LAUNCH = 3;
  /** Most input rows (split halves counted) the int8 GEMV takes (gemm_w8.cu GEMV_MAX_M). */
  public static final int GEMV_W8_MAX_M = 16;
  /** Output features per int8 GEMV block (gemm_w8.cu GEMV_WARPS: one warp each). */
  public static final int GEMV_W8_OUTPUTS = 8;

  private final Gpu gpu;
  private final GpuKernel embedRows;
  private final GpuKernel residualRmsnorm;
  private final GpuKernel ropeKvWrite;
  private final GpuKernel attentionCombine;
  private final GpuKernel loraShrink;
  private final GpuKernel loraExpand;
  private final GpuKernel siluMul;
  private final GpuKernel foldRows;
  private final GpuKernel sampleTokens;
  private final GpuKernel gemm;
  private final GpuKernel gemvW8;
  private final GpuKernel gemmW8;
  private final GpuKernel[] decode = new GpuKernel[HEAD_DIMS.size()];
  private final GpuKernel[] prefill = new GpuKernel[HEAD_DIMS.size()];

  public Kernels(Gpu gpu) {
    this.gpu = gpu;
    embedRows = gpu.kernel("embed_rows");
    residualRmsnorm = gpu.kernel("residual_rmsnorm");
    ropeKvWrite = gpu.kernel("rope_kv_write");
    attentionCombine = gpu.kernel("attention_combine");
    loraShrink = gpu.kernel("lora_shrink");
    loraExpand = gpu.kernel("lora_expand");
    siluMul = gpu.kernel("silu_mul");
    foldRows = gpu.kernel("fold_rows");
    sampleTokens = gpu.kernel("sample_tokens");
    gemm = gpu.kernel("gemm_bf16");
    gemvW8 = gpu.kernel("gemv_w8");
    gemmW8 = gpu.kernel("gemm_w8");
    for (int i = 0; i < HEAD_DIMS.size(); i++) {
      decode[i] = gpu.kernel("attention_decode_hd" + HEAD_DIMS.get(i));
      prefill[i] = gpu.kernel("attention_prefill_hd" + HEAD_DIMS.get(i));
    }
  }

  public Gpu gpu() {
    return gpu;
  }

  private static int blocks(long n, int per) {
    return Math.toIntExact((n + per - 1) / per);
  }

  private static int headDimIndex(int headDim) {
    int i = HEAD_DIMS.indexOf(headDim);
    if (i < 0) {
      throw new IllegalArgumentException("no attention kernel for head_dim " + headDim + " (have " + HEAD_DIMS + ")");
    }
    return i;
  }

  /** {@code x[r, :] = table[tokens[r], :]} (bf16 table widened to float). */
  public void embedRows(GpuStream s, long x, long table, long tokens, int rows, int hidden) {
    gpu.launch(embedRows, rows, 1, 1, 128, 0, s, new KernelArgs().pointer(x).pointer(table).pointer(tokens).i32(hidden));
  }

  /**
   * Optional residual add then RMSNorm: for output row i (source row {@code rowIndex[i]}, or i when
   * {@code rowIndex} is 0), {@code x[r] += add[r]} (both halves of a product output; skipped when
   * {@code add} is 0) and {@code out[i] = split(norm(x[r]) * weight)}.
   */
  public void residualRmsnorm(GpuStream s, long x, long add, int addLd, long addLo, long weight, float eps,
      long rowIndex, int outRows, int hidden, long out) {
    gpu.launch(residualRmsnorm, outRows, 1, 1, 256, 0, s, new KernelArgs().pointer(x).pointer(add).i32(addLd)
        .i64(addLo).pointer(weight).f32(eps).pointer(rowIndex).i32(outRows).i32(hidden).pointer(out));
  }

  /** RoPE on the q and k parts of the fused q/k/v product, q into {@code qOut}, k and v into the cache. */
  public void ropeKvWrite(GpuStream s, long qkv, long qkvLo, long qOut, long ropeTable, long positions, long kvPage,
      long kvOffset, long pool, long pageFloats, long layerOffset, int blockSize, int rows, int numHeads, int numKvHeads,
      int headDim) {
    gpu.launch(ropeKvWrite, rows, 1, 1, 128, 0, s, new KernelArgs().pointer(qkv).i64(qkvLo).pointer(qOut)
        .pointer(ropeTable).pointer(positions).pointer(kvPage).pointer(kvOffset).pointer(pool).i64(pageFloats)
        .i64(layerOffset).i32(blockSize).i32(numHeads).i32(numKvHeads).i32(headDim));
  }

  /**
   * Ranges each decode row's context is split into, at most: enough that rows x KV heads x ranges is at
   * least twice the device's SMs (a row of context c uses at most ceil(c / DECODE_MIN_CHUNK) of them).
   */
  public static int decodeSplits(int decodeRows, int numKvHeads, int multiprocessors) {
    long blocks = (long) Math.max(1, decodeRows) * numKvHeads;
    long want = (2L * multiprocessors + blocks - 1) / blocks;
    return (int) Math.max(1, Math.min(DECODE_MAX_SPLITS, want));
  }

  /**
   * Flash-decoding over {@code numDecodeRows} rows ({@code decodeRows[i]}: a batch row) split into up to
   * {@code splits} ranges each: rows that need one range get their output in {@code out}, the others
   * partials for {@link #attentionCombine}.
   */
  public void attentionDecode(GpuStream s, int headDim, long q, long partial, long out, long decodeRows,
      int numDecodeRows, int splits, int totalRows, long positions, long pageTable, long rowPageStart, long pool,
      long pageFloats, long layerOffset, int blockSize, int numHeads, int numKvHeads, float scale) {
    int group = numHeads / numKvHeads;
    gpu.launch(decode[headDimIndex(headDim)], numDecodeRows * splits, numKvHeads, blocks(group, DECODE_MAX_HEADS), 128,
        0, s, new KernelArgs().pointer(q).pointer(partial).pointer(out).pointer(decodeRows).i32(splits).i32(totalRows)
            .pointer(positions).pointer(pageTable).pointer(rowPageStart).pointer(pool).i64(pageFloats)
            .i64(layerOffset).i32(blockSize).i32(numHeads).i32(numKvHeads).f32(scale));
  }

  /** Merges the partials of the decode rows that needed more than one range (same rows and splits). */
  public void attentionCombine(GpuStream s, long partial, long decodeRows, int numDecodeRows, int splits,
      long positions, int numHeads, int headDim, int totalRows, long out) {
    gpu.launch(attentionCombine, numDecodeRows, numHeads, 1, headDim, 0, s, new KernelArgs().pointer(partial)
        .pointer(decodeRows).i32(splits).pointer(positions).i32(numHeads).i32(headDim).i32(totalRows).pointer(out));
  }

  /** Causal attention for prefill tiles. */
  public void attentionPrefill(GpuStream s, int headDim, long q, long out, int rows, long tiles, int numTiles,
      long positions, long pageTable, long pool, long pageFloats, long layerOffset, int blockSize, int numHeads,
      int numKvHeads, int headsPerBlock, float scale) {
    int group = numHeads / numKvHeads;
    gpu.launch(prefill[headDimIndex(headDim)], numTiles, numKvHeads, blocks(group, headsPerBlock), 128, 0, s,
        new KernelArgs().pointer(q).pointer(out).i32(rows).pointer(tiles).pointer(positions).pointer(pageTable)
            .pointer(pool).i64(pageFloats).i64(layerOffset).i32(blockSize).i32(numHeads).i32(numKvHeads)
            .i32(headsPerBlock).f32(scale));
  }

  /**
   * LoRA shrink for up to three targets reading the same split input (target -1: none): {@code t} is
   * {@code [rows, 3, tStride]}.
   */
  public void loraShrink(GpuStream s, long x, int rows, int inDim, long t, int tStride, long itemRow, long itemCount,
      long itemRoot, int numItems, int layer, int[] targets) {
    gpu.launch(loraShrink, numItems, targets.length, LORA_SHRINK_SPLITS, 256, 0, s, new KernelArgs().pointer(x)
        .i32(rows).i32(inDim).pointer(t).i32(tStride).pointer(itemRow).pointer(itemCount).pointer(itemRoot)
        .i32(layer).i32(targets[0]).i32(targetOr(targets, 1)).i32(targetOr(targets, 2)));
  }

  /** LoRA expand: target i adds into columns {@code [cols[i], cols[i] + out_i)} of {@code y}. */
  public void loraExpand(GpuStream s, long y, int ldy, long t, int tStride, long itemRow, long itemCount, long itemRoot,
      int numItems, int layer, int[] targets, int[] cols, int maxOut) {
    gpu.launch(loraExpand, numItems, targets.length, blocks(maxOut, LORA_EXPAND_OUTPUTS), 128, 0, s,
        new KernelArgs().pointer(y).i32(ldy).pointer(t).i32(tStride).pointer(itemRow).pointer(itemCount)
            .pointer(itemRoot).i32(layer).i32(targets[0]).i32(targetOr(targets, 1)).i32(targetOr(targets, 2))
            .i32(cols[0]).i32(cols.length > 1 ? cols[1] : 0).i32(cols.length > 2 ? cols[2] : 0));
  }

  private static int targetOr(int[] targets, int i) {
    return i < targets.length ? targets[i] : -1;
  }

  /** {@code out = split(silu(gate) * up)} from the fused gate/up product. */
  public void siluMul(GpuStream s, long gu, int ld, long guLo, int inter, int rows, long out) {
    gpu.launch(siluMul, blocks(inter, 256), rows, 1, 256, 0, s,
        new KernelArgs().pointer(gu).i32(ld).i64(guLo).i32(inter).i32(rows).pointer(out));
  }

  /** {@code out[r, c] = y[r, c] + y_lo[r, c]}. */
  public void foldRows(GpuStream s, long y, int ld, long yLo, int cols, int rows, long out) {
    gpu.launch(foldRows, blocks(cols, 256), rows, 1, 256, 0, s,
        new KernelArgs().pointer(y).i32(ld).i64(yLo).i32(cols).pointer(out));
  }

  /**
   * The token of each logits row chosen on the device as the host Sampler would ({@link SamplingInputs}
   * lays out {@code params}, {@code penaltyTokens} and {@code masks}); {@code scores} and {@code probs} are
   * {@code [rows, vocab]} scratch (float32, double). Writes {@code outToken[r]} and {@code outLogprob[r]}.
   */
  public void sampleTokens(GpuStream s, long logits, int vocab, int rows, long params, long penaltyTokens, long masks,
      long scores, long probs, long outToken, long outLogprob) {
    gpu.launch(sampleTokens, rows, 1, 1, 256, 0, s, new KernelArgs().pointer(logits).i32(vocab).pointer(params)
        .pointer(penaltyTokens).pointer(masks).pointer(scores).pointer(probs).pointer(outToken).pointer(outLogprob));
  }

  /**
   * The int8-weight product {@code y[m, n] = (x[m, k] . q[n, k]^T) * scale[n]} for {@code m <=}
   * {@link #GEMV_W8_MAX_M} (decode): one warp per output feature.
   */
  public void gemvW8(GpuStream s, long x, long q, long scale, long y, int m, int n, int k, int ldy) {
    if (m > GEMV_W8_MAX_M) {
      throw new IllegalArgumentException("gemv_w8 takes at most " + GEMV_W8_MAX_M + " rows, not " + m);
    }
    gpu.launch(gemvW8, blocks(n, GEMV_W8_OUTPUTS), 1, 1, 32 * GEMV_W8_OUTPUTS, 0, s,
        new KernelArgs().pointer(x).pointer(q).pointer(scale).pointer(y).i32(m).i32(n).i32(k).i32(ldy));
  }

  /** The int8-weight product for any {@code m} (tiled, 64 x 64 outputs per block). */
  public void gemmW8(GpuStream s, long x, long q, long scale, long y, int m, int n, int k, int ldy) {
    gpu.launch(gemmW8, blocks(n, 64), blocks(m, 64), 1, 256, 0, s,
        new KernelArgs().pointer(x).pointer(q).pointer(scale).pointer(y).i32(m).i32(n).i32(k).i32(ldy));
  }

  /** The fallback product {@code y[m, n] = x[m, k] . w[n, k]^T}, bf16 inputs, float32 output. */
  public void gemm(GpuStream s, long x, long w, long y, int m, int n, int k, int ldy) {
    gpu.launch(gemm, blocks(n, 64), blocks(m, 64), 1, 256, 0, s,
        new KernelArgs().pointer(x).pointer(w).pointer(y).i32(m).i32(n).i32(k).i32(ldy));
  }
}
