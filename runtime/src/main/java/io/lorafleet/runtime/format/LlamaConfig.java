package io.lorafleet.runtime.format;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The parts of a Hugging Face {@code config.json} that define a Llama-family decoder. Built by
 * {@link #load(Path)}, which validates everything the forward pass relies on.
 */
public record LlamaConfig(
    String architecture,
    int hiddenSize,
    int intermediateSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    int vocabSize,
    double rmsNormEps,
    double ropeTheta,
    RopeScaling ropeScaling,
    int maxPositionEmbeddings,
    boolean tieWordEmbeddings,
    int bosTokenId,
    List<Integer> eosTokenIds,
    String torchDtype) {

  public static final String FILE = "config.json";
  /** Architectures whose forward pass is exactly the Llama one implemented here. */
  public static final Set<String> SUPPORTED_ARCHITECTURES = Set.of("LlamaForCausalLM");

  public LlamaConfig {
    eosTokenIds = List.copyOf(eosTokenIds);
  }

  public int queryDim() {
    return numHeads * headDim;
  }

  public int kvDim() {
    return numKvHeads * headDim;
  }

  /** Query heads served by one KV head. */
  public int groupSize() {
    return numHeads / numKvHeads;
  }

  /** Reads and validates {@code dir/config.json}. */
  public static LlamaConfig load(Path dir) {
    return parse(JsonFiles.readObject(dir.resolve(FILE)));
  }

  static LlamaConfig parse(JsonFields f) {
    List<String> archs = f.stringOrStringList("architectures");
    String modelType = f.optionalString("model_type", "");
    String arch = archs.isEmpty() ? "" : archs.getFirst();
    if (!SUPPORTED_ARCHITECTURES.contains(arch)) {
      throw f.error("unsupported architecture " + (archs.isEmpty() ? "(none given)" : archs)
          + (modelType.isEmpty() ? "" : " (model_type \"" + modelType + "\")")
          + "; supported: " + SUPPORTED_ARCHITECTURES);
    }
    String act = f.optionalString("hidden_act", "silu");
    if (!act.equals("silu")) {
      throw f.error("unsupported hidden_act \"" + act + "\" (Llama uses silu)");
    }
    if (f.optionalBoolean("attention_bias", false) || f.optionalBoolean("mlp_bias", false)) {
      throw f.error("attention_bias / mlp_bias are not supported");
    }
    int hidden = f.positiveInt("hidden_size");
    int inter = f.positiveInt("intermediate_size");
    int layers = f.positiveInt("num_hidden_layers");
    int heads = f.positiveInt("num_attention_heads");
    int kvHeads = f.optionalInt("num_key_value_heads", heads);
    if (kvHeads <= 0 || heads % kvHeads != 0) {
      throw f.error("num_attention_heads (" + heads + ") must be a positive multiple of num_key_value_heads (" + kvHeads + ")");
    }
    int headDim = f.has("head_dim") ? f.positiveInt("head_dim") : hidden / heads;
    if (!f.has("head_dim") && hidden % heads != 0) {
      throw f.error("hidden_size (" + hidden + ") is not divisible by num_attention_heads (" + heads + ") and no head_dim is given");
    }
    if (headDim % 2 != 0) {
      throw f.error("head_dim must be even for RoPE, got " + headDim);
    }
    int vocab = f.positiveInt("vocab_size");
    double eps = f.optionalDouble("rms_norm_eps", 1e-6);
    if (!(eps > 0)) {
      throw f.error("rms_norm_eps must be positive, got " + eps);
    }
    // transformers 5 writes RoPE settings as "rope_parameters" (rope_theta and the scaling together); older
    // configs have "rope_theta" and "rope_scaling" at the top level.
    JsonFields rope = !f.has("rope_theta") && f.has("rope_parameters") ? f.child("rope_parameters") : null;
    double theta = rope != null ? rope.optionalDouble("rope_theta", 10000.0) : f.optionalDouble("rope_theta", 10000.0);
    if (!(theta > 1)) {
      throw f.error("rope_theta must be > 1, got " + theta);
    }
    int maxPos = f.optionalInt("max_position_embeddings", 2048);
    if (maxPos <= 0) {
      throw f.error("max_position_embeddings must be positive, got " + maxPos);
    }
    RopeScaling scaling = f.has("rope_scaling") ? ropeScaling(f.child("rope_scaling"))
        : f.has("rope_parameters") ? ropeScaling(f.child("rope_parameters")) : RopeScaling.NONE;
    int bos = f.optionalInt("bos_token_id", -1);
    List<Integer> eos = f.intOrIntList("eos_token_id");
    for (int id : eos) {
      if (id < 0 || id >= vocab) {
        throw f.error("eos_token_id " + id + " is outside the vocabulary (" + vocab + ")");
      }
    }
    return new LlamaConfig(arch, hidden, inter, layers, heads, kvHeads, headDim, vocab, eps, theta, scaling, maxPos,
        f.optionalBoolean("tie_word_embeddings", false), bos, eos, f.optionalString("torch_dtype", "bfloat16"));
  }

  /** A {@code rope_scaling} or {@code rope_parameters} object. */
  private static RopeScaling ropeScaling(JsonFields s) {
    var node = s.root();
    String type = s.optionalString("rope_type", s.optionalString("type", "default"));
    return switch (type) {
      case "default" -> RopeScaling.NONE;
      case "linear" -> {
        double factor = s.optionalDouble("factor", Double.NaN);
        if (!(factor >= 1)) {
          throw s.error("linear needs \"factor\" >= 1, got " + factor);
        }
        yield RopeScaling.linear(factor);
      }
      case "llama3" -> {
        double factor = s.optionalDouble("factor", Double.NaN);
        double low = s.optionalDouble("low_freq_factor", Double.NaN);
        double high = s.optionalDouble("high_freq_factor", Double.NaN);
        int orig = s.optionalInt("original_max_position_embeddings", 0);
        if (!(factor >= 1) || !(low > 0) || !(high > low) || orig <= 0) {
          throw s.error("llama3 needs factor >= 1, 0 < low_freq_factor < high_freq_factor and "
              + "original_max_position_embeddings > 0, got " + node);
        }
        yield RopeScaling.llama3(factor, low, high, orig);
      }
      default -> throw s.error("unsupported type \"" + type + "\" (supported: default, linear, llama3)");
    };
  }
}
