package io.lorafleet.runtime.model;

import io.lorafleet.runtime.errors.ModelFormatException;
import io.lorafleet.runtime.format.GenerationConfig;
import io.lorafleet.runtime.format.LlamaConfig;
import io.lorafleet.runtime.format.SafetensorsCheckpoint;
import io.lorafleet.runtime.format.TensorView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loaded Llama checkpoint: config, generation defaults and weight views over the memory-mapped files.
 * Nothing large is copied, so a multi-GB checkpoint loads with the default heap. Close it to unmap.
 */
public final class LlamaModel implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LlamaModel.class);
  /** Buffers some older exports carry; they are recomputed, never read. */
  private static final Pattern IGNORED = Pattern.compile("model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq");

  private final Path dir;
  private final LlamaConfig config;
  private final GenerationConfig generationConfig;
  private final SafetensorsCheckpoint checkpoint;
  private final LlamaWeights weights;

  private LlamaModel(Path dir, LlamaConfig config, GenerationConfig gen, SafetensorsCheckpoint ckpt, LlamaWeights w) {
    this.dir = dir;
    this.config = config;
    this.generationConfig = gen;
    this.checkpoint = ckpt;
    this.weights = w;
  }

  /** Loads the HF model directory {@code dir} (config.json + safetensors weights). */
  public static LlamaModel load(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new ModelFormatException(dir + ": model directory not found");
    }
    long t0 = System.nanoTime();
    LlamaConfig config = LlamaConfig.load(dir);
    GenerationConfig gen = GenerationConfig.load(dir);
    SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir);
    try {
      LlamaWeights w = bind(dir, config, ckpt.tensors());
      LlamaModel m = new LlamaModel(dir, config, gen, ckpt, w);
      log.info("model {} loaded in {} ms: {} layers, hidden {}, {} heads / {} kv heads, vocab {}, {} MB of weights",
          dir.getFileName(), (System.nanoTime() - t0) / 1_000_000, config.numLayers(), config.hiddenSize(),
          config.numHeads(), config.numKvHeads(), config.vocabSize(), ckpt.totalBytes() >> 20);
      return m;
    } catch (RuntimeException e) {
      ckpt.close();
      throw e;
    }
  }

  private static LlamaWeights bind(Path dir, LlamaConfig c, Map<String, TensorView> tensors) {
    Set<String> used = new HashSet<>();
    TensorBinder b = new TensorBinder(dir, tensors, used);
    int h = c.hiddenSize();
    Linear embed = b.matrix("model.embed_tokens.weight", c.vocabSize(), h);
    List<LayerWeights> layers = new ArrayList<>();
    for (int i = 0; i < c.numLayers(); i++) {
      String p = "model.layers." + i + ".";
      layers.add(new LayerWeights(
          b.vector(p + "input_layernorm.weight", h),
          b.matrix(p + "self_attn.q_proj.weight", c.queryDim(), h),
          b.matrix(p + "self_attn.k_proj.weight", c.kvDim(), h),
          b.matrix(p + "self_attn.v_proj.weight", c.kvDim(), h),
          b.matrix(p + "self_attn.o_proj.weight", h, c.queryDim()),
          b.vector(p + "post_attention_layernorm.weight", h),
          b.matrix(p + "mlp.gate_proj.weight", c.intermediateSize(), h),
          b.matrix(p + "mlp.up_proj.weight", c.intermediateSize(), h),
          b.matrix(p + "mlp.down_proj.weight", h, c.intermediateSize())));
    }
    float[] norm = b.vector("model.norm.weight", h);
    Linear lmHead;
    if (c.tieWordEmbeddings()) {
      lmHead = embed;
      if (tensors.containsKey("lm_head.weight")) {
        used.add("lm_head.weight"); // some exports save the tied copy too; HF ignores it
      }
    } else {
      lmHead = b.matrix("lm_head.weight", c.vocabSize(), h);
    }
    Set<String> extra = new TreeSet<>();
    for (String name : tensors.keySet()) {
      if (!used.contains(name) && !IGNORED.matcher(name).matches()) {
        extra.add(name);
      }
    }
    if (!extra.isEmpty()) {
      throw new ModelFormatException(dir + ": unexpected tensors for " + c.architecture() + " with "
          + c.numLayers() + " layers: " + abbreviate(extra));
    }
    return new LlamaWeights(embed, layers, norm, lmHead);
  }

  static String abbreviate(Set<String> names) {
    List<String> l = new ArrayList<>(names);
    return l.size() <= 5 ? l.toString() : l.subList(0, 5) + " and " + (l.size() - 5) + " more";
  }

  /** Looks tensors up by name with shape checks, remembering which were used. */
  private record TensorBinder(Path dir, Map<String, TensorView> tensors, Set<String> used) {
    TensorView get(String name) {
      TensorView t = tensors.get(name);
      if (t == null) {
        throw new ModelFormatException(dir + ": missing tensor " + name);
      }
      used.add(name);
      return t;
    }

    Linear matrix(String name, int rows, int cols) {
      TensorView t = get(name);
      if (!t.hasShape(rows, cols)) {
        throw new ModelFormatException(dir + ": tensor " + name + " has shape " + t.shapeString()
            + ", config.json implies [" + rows + ", " + cols + "]");
      }
      return Linear.of(t);
    }

    float[] vector(String name, int n) {
      TensorView t = get(name);
      if (!t.hasShape(n)) {
        throw new ModelFormatException(dir + ": tensor " + name + " has shape " + t.shapeString()
            + ", config.json implies [" + n + "]");
      }
      return t.toFloatArray();
    }
  }

  public Path dir() {
    return dir;
  }

  /** A short name for the model: its directory name. */
  public String name() {
    return dir.toAbsolutePath().normalize().getFileName().toString();
  }

  public LlamaConfig config() {
    return config;
  }

  public GenerationConfig generationConfig() {
    return generationConfig;
  }

  public LlamaWeights weights() {
    return weights;
  }

  /** End-of-sequence ids from config.json and generation_config.json. */
  public Set<Integer> eosTokenIds() {
    Set<Integer> ids = new LinkedHashSet<>(config.eosTokenIds());
    ids.addAll(generationConfig.eosTokenIds());
    return ids;
  }

  @Override
  public void close() {
    checkpoint.close();
  }
}
