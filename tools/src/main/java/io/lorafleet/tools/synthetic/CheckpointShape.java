package io.lorafleet.tools.synthetic;

import io.lorafleet.runtime.format.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The dimensions of a Llama checkpoint to synthesize, and the tensors (HF names, shapes, BF16) that such a
 * checkpoint holds.
 *
 * @param name                  short name, also the cache directory's prefix
 * @param numLayers             decoder layers
 * @param hiddenSize            model width
 * @param intermediateSize      MLP width
 * @param numHeads              attention heads
 * @param numKvHeads            key/value heads (GQA)
 * @param headDim               width of one head
 * @param vocabSize             embedding rows (and tokenizer ids)
 * @param maxPositionEmbeddings context length written to config.json
 * @param ropeTheta             RoPE base
 * @param rmsNormEps            RMSNorm epsilon
 */
public record CheckpointShape(
    String name, int numLayers, int hiddenSize, int intermediateSize, int numHeads, int numKvHeads, int headDim,
    int vocabSize, int maxPositionEmbeddings, double ropeTheta, double rmsNormEps) {

  /** TinyLlama-1.1B's shape (about 2.2 GB of BF16 weights). */
  public static final CheckpointShape TINYLLAMA_1_1B =
      new CheckpointShape("tinyllama-1.1b", 22, 2048, 5632, 32, 4, 64, 32000, 2048, 10000.0, 1e-5);

  /** A small shape with the same vocabulary, for tests (about 34 MB). */
  public static final CheckpointShape TINY =
      new CheckpointShape("tiny", 2, 256, 512, 4, 2, 64, 32000, 2048, 10000.0, 1e-5);

  /** Standard deviation of the random projection and embedding weights. */
  static final float WEIGHT_STD = 0.02f;

  public CheckpointShape {
    if (name == null || !name.matches("[a-z0-9][a-z0-9._-]*")) {
      throw new IllegalArgumentException("shape name must be lower-case letters, digits, '.', '_' or '-': " + name);
    }
    if (numLayers < 1 || hiddenSize < 1 || intermediateSize < 1 || numHeads < 1 || numKvHeads < 1
        || numHeads % numKvHeads != 0 || headDim < 2 || headDim % 2 != 0 || vocabSize < 4
        || maxPositionEmbeddings < 2) {
      throw new IllegalArgumentException("invalid checkpoint shape " + name);
    }
  }

  public static List<CheckpointShape> presets() {
    return List.of(TINYLLAMA_1_1B, TINY);
  }

  /** The preset called {@code name}. */
  public static CheckpointShape byName(String name) {
    return presets().stream().filter(s -> s.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("unknown shape '" + name + "'; known: "
            + presets().stream().map(CheckpointShape::name).collect(Collectors.joining(", "))));
  }

  public int queryDim() {
    return numHeads * headDim;
  }

  public int kvDim() {
    return numKvHeads * headDim;
  }

  /** Every tensor of {@code model.safetensors}, in file order: embedding, layers, final norm, LM head. */
  public List<TensorSpec> modelTensors() {
    TensorFill weights = new TensorFill.Normal(WEIGHT_STD);
    TensorFill ones = new TensorFill.Constant(1f);
    List<TensorSpec> t = new ArrayList<>();
    t.add(new TensorSpec("model.embed_tokens.weight", DType.BF16, new long[] {vocabSize, hiddenSize}, weights));
    for (int l = 0; l < numLayers; l++) {
      String p = "model.layers." + l + ".";
      t.add(new TensorSpec(p + "input_layernorm.weight", DType.BF16, new long[] {hiddenSize}, ones));
      t.add(new TensorSpec(p + "self_attn.q_proj.weight", DType.BF16, new long[] {queryDim(), hiddenSize}, weights));
      t.add(new TensorSpec(p + "self_attn.k_proj.weight", DType.BF16, new long[] {kvDim(), hiddenSize}, weights));
      t.add(new TensorSpec(p + "self_attn.v_proj.weight", DType.BF16, new long[] {kvDim(), hiddenSize}, weights));
      t.add(new TensorSpec(p + "self_attn.o_proj.weight", DType.BF16, new long[] {hiddenSize, queryDim()}, weights));
      t.add(new TensorSpec(p + "post_attention_layernorm.weight", DType.BF16, new long[] {hiddenSize}, ones));
      t.add(new TensorSpec(p + "mlp.gate_proj.weight", DType.BF16, new long[] {intermediateSize, hiddenSize}, weights));
      t.add(new TensorSpec(p + "mlp.up_proj.weight", DType.BF16, new long[] {intermediateSize, hiddenSize}, weights));
      t.add(new TensorSpec(p + "mlp.down_proj.weight", DType.BF16, new long[] {hiddenSize, intermediateSize}, weights));
    }
    t.add(new TensorSpec("model.norm.weight", DType.BF16, new long[] {hiddenSize}, ones));
    t.add(new TensorSpec("lm_head.weight", DType.BF16, new long[] {vocabSize, hiddenSize}, weights));
    return List.copyOf(t);
  }

  /** Input and output width of an attention projection ({@code q_proj}, {@code k_proj}, ...). */
  int[] projectionDims(String projection) {
    return switch (projection) {
      case "q_proj" -> new int[] {hiddenSize, queryDim()};
      case "k_proj", "v_proj" -> new int[] {hiddenSize, kvDim()};
      case "o_proj" -> new int[] {queryDim(), hiddenSize};
      case "gate_proj", "up_proj" -> new int[] {hiddenSize, intermediateSize};
      case "down_proj" -> new int[] {intermediateSize, hiddenSize};
      default -> throw new IllegalArgumentException("unknown projection " + projection);
    };
  }
}
