package io.lorafleet.tools.synthetic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.runtime.format.DType;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Hugging Face Llama model directory with random BF16 weights of a given {@link CheckpointShape}, and
 * random PEFT LoRA adapters for it, generated once and cached on disk:
 *
 * <pre>
 *   &lt;cache root&gt;/&lt;shape&gt;-v1/model/           config.json, generation_config.json, model.safetensors,
 *                                           tokenizer.json, tokenizer_config.json
 *   &lt;cache root&gt;/&lt;shape&gt;-v1/adapters/lora-00/ adapter_config.json, adapter_model.safetensors
 *   &lt;cache root&gt;/&lt;shape&gt;-v1/adapters-bf16/lora-00/  the same with BF16 LoRA tensors
 * </pre>
 *
 * <p>Adapter tensors are F32 by default (as PEFT saves adapters trained in float32); BF16 ones, as saved
 * from a bf16 model, are half the size and are what a bf16 peer such as HF PEFT computes with unchanged.
 *
 * <p>Each directory gets a {@link CompletionMarker} when it is fully written; one without (an interrupted
 * run) is deleted and written again, one with is reused, and asking for more adapters writes only the
 * missing ones. A file lock keeps two processes from generating the same shape at once. Weights are
 * normal with standard deviation 0.02 and norms are 1, so activations stay finite through many layers.
 *
 * @param shape       the model's shape
 * @param root        {@code <cache root>/<shape>-v1}
 * @param modelDir    the HF model directory
 * @param adapterDirs PEFT adapter directories
 */
public record SyntheticCheckpoint(CheckpointShape shape, Path root, Path modelDir, List<Path> adapterDirs) {
  /** Generator version; changing what is generated must change it, so old caches are not reused. */
  public static final String VERSION = "v1";
  public static final int ADAPTER_RANK = 16;
  public static final int ADAPTER_ALPHA = 32;
  public static final List<String> ADAPTER_TARGETS = List.of("q_proj", "k_proj", "v_proj", "o_proj");
  static final float ADAPTER_STD = 0.02f;

  private static final Logger log = LoggerFactory.getLogger(SyntheticCheckpoint.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, String> PT_FORMAT = Map.of("format", "pt");

  public SyntheticCheckpoint {
    adapterDirs = List.copyOf(adapterDirs);
  }

  /** {@code ${java.io.tmpdir}/lorafleet-bench}. */
  public static Path defaultCacheRoot() {
    return Path.of(System.getProperty("java.io.tmpdir"), "lorafleet-bench");
  }

  /** The directory a shape is cached in under {@code cacheRoot}. */
  public static Path rootFor(CheckpointShape shape, Path cacheRoot) {
    return cacheRoot.resolve(shape.name() + "-" + VERSION);
  }

  /**
   * Returns the cached checkpoint of {@code shape} with at least {@code adapters} adapters under {@code
   * cacheRoot}, writing whatever is missing or incomplete first (with a progress bar on stderr).
   */
  public static SyntheticCheckpoint ensure(CheckpointShape shape, int adapters, Path cacheRoot) throws IOException {
    return ensure(shape, adapters, DType.F32, cacheRoot);
  }

  /**
   * As {@link #ensure(CheckpointShape, int, Path)}, with the adapters' LoRA tensors stored as {@code
   * adapterDtype} (F32 or BF16; each kind has its own directory).
   */
  public static SyntheticCheckpoint ensure(CheckpointShape shape, int adapters, DType adapterDtype, Path cacheRoot)
      throws IOException {
    if (adapterDtype != DType.F32 && adapterDtype != DType.BF16) {
      throw new IllegalArgumentException("adapter tensors are F32 or BF16, not " + adapterDtype);
    }
    if (adapters < 0) {
      throw new IllegalArgumentException("adapters must be >= 0, got " + adapters);
    }
    Path root = rootFor(shape, cacheRoot);
    Files.createDirectories(root);
    Path modelDir = root.resolve("model");
    List<Path> adapterDirs = new ArrayList<>();
    for (int i = 0; i < adapters; i++) {
      adapterDirs.add(root.resolve(adapterDtype == DType.F32 ? "adapters" : "adapters-bf16")
          .resolve(String.format("lora-%02d", i)));
    }
    try (FileChannel lockFile = FileChannel.open(cacheRoot.resolve(root.getFileName() + ".lock"),
        StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      FileLock lock = lockFile.lock();
      try {
        generateMissing(shape, root, modelDir, adapterDirs, adapterDtype);
      } finally {
        lock.release();
      }
    }
    return new SyntheticCheckpoint(shape, root, modelDir, adapterDirs);
  }

  private static void generateMissing(CheckpointShape shape, Path root, Path modelDir, List<Path> adapterDirs,
      DType adapterDtype) throws IOException {
    int adapters = adapterDirs.size();
    List<Long> bytes = new ArrayList<>();
    List<IoStep> steps = new ArrayList<>();
    if (!CompletionMarker.isComplete(modelDir, modelFingerprint(shape))) {
      steps.add(progress -> writeModel(shape, modelDir, progress));
      bytes.add(dataBytes(shape.modelTensors()));
    }
    for (int i = 0; i < adapters; i++) {
      int index = i;
      Path dir = adapterDirs.get(i);
      if (!CompletionMarker.isComplete(dir, adapterFingerprint(shape, i, adapterDtype))) {
        steps.add(progress -> writeAdapter(shape, index, dir, modelDir, adapterDtype, progress));
        bytes.add(dataBytes(adapterTensors(shape, adapterDtype)));
      }
    }
    if (steps.isEmpty()) {
      log.info("reusing synthetic {} checkpoint with {} adapters in {}", shape.name(), adapters, root);
    } else {
      long total = bytes.stream().mapToLong(Long::longValue).sum();
      log.info("writing synthetic {} checkpoint ({} files, {} MiB) to {}", shape.name(), steps.size(),
          total >> 20, root);
      long t0 = System.nanoTime();
      AtomicLong written = new AtomicLong();
      try (ProgressBar bar = ProgressBar.builder().setTaskName(shape.name()).setInitialMax(total)
          .setUnit(" MiB", 1 << 20).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).showSpeed()
          .build()) {
        LongConsumer progress = n -> {
          written.addAndGet(n);
          bar.stepBy(n);
        };
        for (IoStep step : steps) {
          step.run(progress);
        }
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      log.info("wrote {} MiB in {} s ({} MiB/s)", written.get() >> 20, String.format("%.1f", secs),
          String.format("%.0f", (written.get() >> 20) / Math.max(secs, 1e-9)));
    }
  }

  @FunctionalInterface
  private interface IoStep {
    void run(LongConsumer progress) throws IOException;
  }

  private static long dataBytes(List<TensorSpec> tensors) {
    return tensors.stream().mapToLong(TensorSpec::bytes).sum();
  }

  static String modelFingerprint(CheckpointShape shape) {
    return "lorafleet-bench " + VERSION + " model " + shape;
  }

  static String adapterFingerprint(CheckpointShape shape, int index) {
    return adapterFingerprint(shape, index, DType.F32);
  }

  static String adapterFingerprint(CheckpointShape shape, int index, DType dtype) {
    return "lorafleet-bench " + VERSION + " adapter " + index + " r" + ADAPTER_RANK + " alpha" + ADAPTER_ALPHA + " "
        + ADAPTER_TARGETS + (dtype == DType.F32 ? "" : " " + dtype) + " for " + shape;
  }

  private static int threads() {
    return Runtime.getRuntime().availableProcessors();
  }

  private static long seedOf(String s) {
    return s.hashCode() * 0x9E3779B97F4A7C15L;
  }

  private static void writeModel(CheckpointShape shape, Path dir, LongConsumer progress) throws IOException {
    CompletionMarker.reset(dir);
    JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), modelConfig(shape));
    JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("generation_config.json").toFile(),
        generationConfig());
    SyntheticTokenizer.write(dir, shape.vocabSize(), shape.maxPositionEmbeddings());
    SafetensorsGenerator.write(dir.resolve("model.safetensors"), shape.modelTensors(), PT_FORMAT,
        seedOf(shape.name()), threads(), progress);
    CompletionMarker.write(dir, modelFingerprint(shape));
  }

  private static void writeAdapter(CheckpointShape shape, int index, Path dir, Path modelDir, DType dtype,
      LongConsumer progress) throws IOException {
    CompletionMarker.reset(dir);
    JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("adapter_config.json").toFile(),
        adapterConfig(modelDir));
    SafetensorsGenerator.write(dir.resolve("adapter_model.safetensors"), adapterTensors(shape, dtype), PT_FORMAT,
        seedOf(shape.name()) + 1_000_003L * (index + 1), threads(), progress);
    CompletionMarker.write(dir, adapterFingerprint(shape, index, dtype));
  }

  /** The LoRA tensors of one adapter, with PEFT's key names: A is {@code [r, in]}, B is {@code [out, r]}. */
  static List<TensorSpec> adapterTensors(CheckpointShape shape) {
    return adapterTensors(shape, DType.F32);
  }

  /** The same tensors stored as {@code dtype}. */
  static List<TensorSpec> adapterTensors(CheckpointShape shape, DType dtype) {
    TensorFill fill = new TensorFill.Normal(ADAPTER_STD);
    List<TensorSpec> t = new ArrayList<>();
    for (int l = 0; l < shape.numLayers(); l++) {
      for (String proj : ADAPTER_TARGETS) {
        int[] dims = shape.projectionDims(proj);
        String p = "base_model.model.model.layers." + l + ".self_attn." + proj;
        t.add(new TensorSpec(p + ".lora_A.weight", dtype, new long[] {ADAPTER_RANK, dims[0]}, fill));
        t.add(new TensorSpec(p + ".lora_B.weight", dtype, new long[] {dims[1], ADAPTER_RANK}, fill));
      }
    }
    return List.copyOf(t);
  }

  static ObjectNode modelConfig(CheckpointShape s) {
    ObjectNode c = JSON.createObjectNode();
    c.putArray("architectures").add("LlamaForCausalLM");
    c.put("model_type", "llama");
    c.put("attention_bias", false);
    c.put("attention_dropout", 0.0);
    c.put("bos_token_id", SyntheticTokenizer.BOS_ID);
    c.put("eos_token_id", SyntheticTokenizer.EOS_ID);
    c.put("head_dim", s.headDim());
    c.put("hidden_act", "silu");
    c.put("hidden_size", s.hiddenSize());
    c.put("initializer_range", 0.02);
    c.put("intermediate_size", s.intermediateSize());
    c.put("max_position_embeddings", s.maxPositionEmbeddings());
    c.put("mlp_bias", false);
    c.put("num_attention_heads", s.numHeads());
    c.put("num_hidden_layers", s.numLayers());
    c.put("num_key_value_heads", s.numKvHeads());
    c.put("pretraining_tp", 1);
    c.put("rms_norm_eps", s.rmsNormEps());
    c.putNull("rope_scaling");
    c.put("rope_theta", s.ropeTheta());
    c.put("tie_word_embeddings", false);
    c.put("torch_dtype", "bfloat16");
    c.put("transformers_version", "4.46.0");
    c.put("use_cache", true);
    c.put("vocab_size", s.vocabSize());
    return c;
  }

  static ObjectNode generationConfig() {
    ObjectNode g = JSON.createObjectNode();
    g.put("_from_model_config", true);
    g.put("bos_token_id", SyntheticTokenizer.BOS_ID);
    g.put("eos_token_id", SyntheticTokenizer.EOS_ID);
    g.put("transformers_version", "4.46.0");
    return g;
  }

  static ObjectNode adapterConfig(Path modelDir) {
    ObjectNode a = JSON.createObjectNode();
    a.putObject("alpha_pattern");
    a.put("base_model_name_or_path", modelDir.toAbsolutePath().normalize().toString());
    a.put("bias", "none");
    a.put("fan_in_fan_out", false);
    a.put("inference_mode", true);
    a.put("init_lora_weights", true);
    a.putNull("layers_pattern");
    a.putNull("layers_to_transform");
    a.put("lora_alpha", ADAPTER_ALPHA);
    a.put("lora_dropout", 0.0);
    a.putNull("modules_to_save");
    a.put("peft_type", "LORA");
    a.put("r", ADAPTER_RANK);
    a.putObject("rank_pattern");
    a.putNull("revision");
    var targets = a.putArray("target_modules");
    ADAPTER_TARGETS.forEach(targets::add);
    a.put("task_type", "CAUSAL_LM");
    a.put("use_dora", false);
    a.put("use_rslora", false);
    return a;
  }
}
