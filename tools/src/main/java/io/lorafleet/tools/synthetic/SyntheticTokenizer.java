package io.lorafleet.tools.synthetic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A Hugging Face {@code tokenizer.json} (plus {@code tokenizer_config.json}) that covers every id of a
 * synthetic model: a WordLevel model whose vocabulary is {@code <unk>}, {@code <s>}, {@code </s>} and then
 * {@code t3 .. t<vocab-1>}, split on whitespace, with a template post-processor that puts {@code <s>}
 * first. Text such as {@code "t5 t6"} encodes to {@code [1, 5, 6]} and ids decode to their words joined by
 * spaces. The files follow the HF tokenizers serialization, so both the Rust library (through DJL) and
 * Python's {@code PreTrainedTokenizerFast} load them.
 */
public final class SyntheticTokenizer {
  public static final int UNK_ID = 0;
  public static final int BOS_ID = 1;
  public static final int EOS_ID = 2;
  public static final String UNK = "<unk>";
  public static final String BOS = "<s>";
  public static final String EOS = "</s>";

  private static final ObjectMapper JSON = new ObjectMapper();

  private SyntheticTokenizer() {}

  /** The word of id {@code id} ({@code <unk>}, {@code <s>}, {@code </s>} or {@code t<id>}). */
  public static String token(int id) {
    return switch (id) {
      case UNK_ID -> UNK;
      case BOS_ID -> BOS;
      case EOS_ID -> EOS;
      default -> "t" + id;
    };
  }

  /** Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code dir}. */
  public static void write(Path dir, int vocabSize, int modelMaxLength) throws IOException {
    JSON.writeValue(dir.resolve("tokenizer.json").toFile(), tokenizerJson(vocabSize));
    JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer_config.json").toFile(),
        tokenizerConfig(modelMaxLength));
  }

  static ObjectNode tokenizerJson(int vocabSize) {
    ObjectNode root = JSON.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (int id : new int[] {UNK_ID, BOS_ID, EOS_ID}) {
      ObjectNode t = added.addObject();
      t.put("id", id);
      t.put("content", token(id));
      t.put("single_word", false);
      t.put("lstrip", false);
      t.put("rstrip", false);
      t.put("normalized", false);
      t.put("special", true);
    }
    root.putNull("normalizer");
    root.putObject("pre_tokenizer").put("type", "WhitespaceSplit");
    ObjectNode post = root.putObject("post_processor");
    post.put("type", "TemplateProcessing");
    ArrayNode single = post.putArray("single");
    special(single, 0);
    sequence(single, "A", 0);
    ArrayNode pair = post.putArray("pair");
    special(pair, 0);
    sequence(pair, "A", 0);
    special(pair, 1);
    sequence(pair, "B", 1);
    ObjectNode bos = post.putObject("special_tokens").putObject(BOS);
    bos.put("id", BOS);
    bos.putArray("ids").add(BOS_ID);
    bos.putArray("tokens").add(BOS);
    root.putNull("decoder");
    ObjectNode model = root.putObject("model");
    model.put("type", "WordLevel");
    ObjectNode vocab = model.putObject("vocab");
    for (int id = 0; id < vocabSize; id++) {
      vocab.put(token(id), id);
    }
    model.put("unk_token", UNK);
    return root;
  }

  private static void special(ArrayNode template, int typeId) {
    ObjectNode s = template.addObject().putObject("SpecialToken");
    s.put("id", BOS);
    s.put("type_id", typeId);
  }

  private static void sequence(ArrayNode template, String which, int typeId) {
    ObjectNode s = template.addObject().putObject("Sequence");
    s.put("id", which);
    s.put("type_id", typeId);
  }

  static ObjectNode tokenizerConfig(int modelMaxLength) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode decoder = root.putObject("added_tokens_decoder");
    for (int id : new int[] {UNK_ID, BOS_ID, EOS_ID}) {
      ObjectNode t = decoder.putObject(Integer.toString(id));
      t.put("content", token(id));
      t.put("lstrip", false);
      t.put("normalized", false);
      t.put("rstrip", false);
      t.put("single_word", false);
      t.put("special", true);
    }
    root.put("bos_token", BOS);
    root.put("eos_token", EOS);
    root.put("unk_token", UNK);
    root.put("clean_up_tokenization_spaces", false);
    root.put("model_max_length", modelMaxLength);
    root.put("tokenizer_class", "PreTrainedTokenizerFast");
    return root;
  }
}
