package io.lorafleet.runtime.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What {@code transformers.AutoTokenizer} (transformers 5, read from 5.18.0) does to a {@code tokenizer.json}
 * when it loads it, redone on the JSON before the native library sees it, so that LoraFleet's ids are those
 * of vLLM and SGLang (which tokenize through {@code AutoTokenizer}).
 *
 * <p>transformers 5 picks a tokenizer class (tokenizer_config's {@code tokenizer_class}, else config.json's
 * {@code tokenizer_class}, else the class registered for config.json's {@code model_type}; a trailing
 * {@code Fast} is dropped). The generic classes ({@code PreTrainedTokenizerFast}, {@code TokenizersBackend})
 * load {@code tokenizer.json} as written. A model class with its own constructor instead keeps only the
 * vocabulary, merges and post-processor of the file and builds normalizer, pre-tokenizer, decoder and BPE
 * options in code. Done here for:
 *
 * <ul>
 *   <li>{@code LlamaTokenizer}: no normalizer; pre-tokenizer {@code Metaspace(▁, prepend_scheme, split=false)}
 *       with {@code prepend_scheme} {@code "first"} (tokenizer_config {@code legacy} false or absent),
 *       {@code "always"} ({@code legacy: true}) or {@code "never"} ({@code add_prefix_space: false});
 *       decoder Replace/ByteFallback/Fuse plus Strip of one leading space unless {@code add_prefix_space} is
 *       false; BPE with {@code byte_fallback}, {@code fuse_unk}, no {@code unk_token}. This replaces the
 *       legacy normalizer (Prepend ▁, Replace ' ' → ▁): Metaspace prepends ▁ only when the text does not
 *       already start with one, so {@code " hello"} is {@code ▁hell o} rather than {@code ▁ ▁hell o}, and with
 *       {@code "first"} text right after a special token gets no ▁.
 *   <li>{@code GemmaTokenizer}: normalizer Replace ' ' → ▁, pre-tokenizer Split on ' ' (merged with previous),
 *       decoder Replace/ByteFallback/Fuse, BPE with {@code byte_fallback}, {@code fuse_unk} and the unk token.
 *   <li>{@code Qwen2Tokenizer}: NFC, the Qwen2 split regex then ByteLevel ({@code add_prefix_space} of the
 *       config, default false), ByteLevel decoder, BPE without unk token.
 * </ul>
 *
 * <p>For those classes the added tokens are tokenizer_config's {@code added_tokens_decoder} (else the
 * file's), and every named special token ({@code bos_token}, {@code eos_token}, {@code unk_token}, {@code
 * pad_token}, ... with the class defaults where tokenizer_config does not name them, and {@code
 * additional_special_tokens}/{@code extra_special_tokens}) is an added special token. The post-processor
 * (which special tokens {@code add_special_tokens=True} adds) stays the file's for every class: with a
 * {@code tokenizer.json} present, transformers drops tokenizer_config's {@code add_bos_token} and {@code
 * add_eos_token} before building the tokenizer, so they change nothing.
 *
 * <p>Not redone: the other classes with their own constructor (listed in {@link #REBUILT_ELSEWHERE}; a
 * model declaring one is loaded as written and a warning says its ids may differ), the Mistral
 * pre-tokenizer regex patch transformers applies to some local Mistral models, {@code split_special_tokens},
 * and tokenizer_config's {@code added_tokens_decoder} entries on top of a generic class's file.
 */
final class TransformersLoading {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  static final String METASPACE = "\u2581";

  /** Qwen2Tokenizer's PRETOKENIZE_REGEX. */
  static final String QWEN2_SPLIT =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

  /** The classes whose loading is redone here. */
  static final Set<String> HANDLED = Set.of("LlamaTokenizer", "GemmaTokenizer", "Qwen2Tokenizer");

  /** Model types whose registered class is one handled here (transformers' TOKENIZER_MAPPING_NAMES). */
  private static final Map<String, String> MODEL_TYPE_CLASS = Map.ofEntries(
      Map.entry("gemma", "GemmaTokenizer"), Map.entry("gemma2", "GemmaTokenizer"),
      Map.entry("gemma3", "GemmaTokenizer"), Map.entry("gemma3_text", "GemmaTokenizer"),
      Map.entry("qwen2", "Qwen2Tokenizer"), Map.entry("qwen2_moe", "Qwen2Tokenizer"),
      Map.entry("qwen3", "Qwen2Tokenizer"), Map.entry("qwen3_moe", "Qwen2Tokenizer"),
      Map.entry("idefics", "LlamaTokenizer"), Map.entry("idefics2", "LlamaTokenizer"));

  /**
   * The other tokenizer classes of transformers 5.18 with their own constructor (they rebuild the pipeline
   * in code; listed from transformers' tokenizer mapping): a model declaring one is loaded as written, with
   * a warning that its ids may differ.
   */
  static final Set<String> REBUILT_ELSEWHERE = Set.of(
      "AlbertTokenizer", "BartTokenizer", "BarthezTokenizer", "BertTokenizer", "BigBirdTokenizer",
      "BlenderbotTokenizer", "CLIPTokenizer", "CamembertTokenizer", "CodeLlamaTokenizer", "CohereTokenizer",
      "DPRQuestionEncoderTokenizer", "DebertaTokenizer", "DebertaV2Tokenizer", "EsmcTokenizer",
      "FunnelTokenizer", "GPT2Tokenizer", "GPTNeoXTokenizer", "HerbertTokenizer", "LEDTokenizer",
      "LasrTokenizer", "LayoutLMv2Tokenizer", "LayoutLMv3Tokenizer", "LayoutXLMTokenizer", "LukeTokenizer",
      "LxmertTokenizer", "MBart50Tokenizer", "MBartTokenizer", "MLukeTokenizer", "MPNetTokenizer",
      "MarkupLMTokenizer", "MobileBertTokenizer", "MvpTokenizer", "NllbTokenizer", "NougatTokenizer",
      "OpenAIGPTTokenizer", "PegasusTokenizer", "Qwen3_5Tokenizer", "ReformerTokenizer", "RemBertTokenizer",
      "RoFormerTokenizer", "RobertaTokenizer", "SeamlessM4TTokenizer", "Siglip2Tokenizer", "SplinterTokenizer",
      "T5Tokenizer", "Tipsv2Tokenizer", "UdopTokenizer", "VideoPrismTokenizer", "WhisperTokenizer",
      "XGLMTokenizer", "XLMRobertaTokenizer", "XLNetTokenizer");

  private TransformersLoading() {}

  /**
   * The outcome: the JSON to give the native library, the class it was read as, and whether it was changed.
   *
   * @param warning a sentence for the log when ids may still differ from transformers, else null
   */
  record Result(JsonNode tokenizerJson, String tokenizerClass, boolean changed, String warning) {}

  /** The class transformers 5 would instantiate, without a {@code Fast} suffix ("" when generic). */
  static String tokenizerClass(JsonNode tokenizerConfig, JsonNode modelConfig) {
    String declared = tokenizerConfig.path("tokenizer_class").asText(null);
    if (declared == null) {
      declared = modelConfig.path("tokenizer_class").asText(null);
    }
    if (declared == null) {
      declared = MODEL_TYPE_CLASS.getOrDefault(modelConfig.path("model_type").asText(""), "");
    }
    return declared.endsWith("Fast") && !declared.equals("PreTrainedTokenizerFast")
        ? declared.substring(0, declared.length() - 4) : declared;
  }

  /** Applies the loading rules of the class the config declares to a parsed {@code tokenizer.json}. */
  static Result apply(JsonNode tokenizerJson, JsonNode tokenizerConfig, JsonNode modelConfig) {
    String cls = tokenizerClass(tokenizerConfig, modelConfig);
    if (REBUILT_ELSEWHERE.contains(cls)) {
      return new Result(tokenizerJson, cls, false, "tokenizer_class " + cls + " is rebuilt in code by transformers 5,"
          + " which LoraFleet does not redo: token ids may differ from transformers'");
    }
    if (!HANDLED.contains(cls)) {
      return new Result(tokenizerJson, cls, false, null);
    }
    if (!"BPE".equals(tokenizerJson.path("model").path("type").asText())) {
      return new Result(tokenizerJson, cls, false, "tokenizer_class " + cls + " with a "
          + tokenizerJson.path("model").path("type").asText("typeless") + " model in tokenizer.json is rebuilt"
          + " differently by transformers 5: loaded as written, token ids may differ from transformers'");
    }
    ObjectNode json = tokenizerJson.deepCopy();
    Map<String, String> defaults = switch (cls) {
      case "LlamaTokenizer" -> {
        rebuildLlama(json, tokenizerConfig);
        yield Map.of("unk_token", "<unk>", "bos_token", "<s>", "eos_token", "</s>");
      }
      case "GemmaTokenizer" -> {
        Map<String, String> gemma = Map.of("unk_token", "<unk>", "bos_token", "<bos>", "eos_token", "<eos>",
            "pad_token", "<pad>", "mask_token", "<mask>");
        rebuildGemma(json, tokenString(tokenizerConfig, "unk_token", gemma));
        yield gemma;
      }
      default -> {
        rebuildQwen2(json, tokenizerConfig);
        yield Map.of("unk_token", "<|endoftext|>", "eos_token", "<|endoftext|>", "pad_token", "<|endoftext|>");
      }
    };
    setAddedTokens(json, tokenizerConfig, defaults);
    boolean changed = !json.equals(tokenizerJson);
    return new Result(changed ? json : tokenizerJson, cls, changed, null);
  }

  private static void rebuildLlama(ObjectNode json, JsonNode config) {
    boolean addPrefixSpace = !config.path("add_prefix_space").isBoolean() || config.path("add_prefix_space").asBoolean();
    boolean legacy = config.path("legacy").asBoolean(false);
    String prependScheme = addPrefixSpace ? (legacy ? "always" : "first") : "never";
    ObjectNode model = (ObjectNode) json.get("model");
    model.putNull("dropout");
    model.putNull("unk_token");
    model.putNull("continuing_subword_prefix");
    model.putNull("end_of_word_suffix");
    model.put("fuse_unk", true);
    model.put("byte_fallback", true);
    model.put("ignore_merges", false);
    json.putNull("normalizer");
    ObjectNode pre = json.putObject("pre_tokenizer");
    pre.put("type", "Metaspace");
    pre.put("replacement", METASPACE);
    pre.put("prepend_scheme", prependScheme);
    pre.put("split", false);
    ArrayNode decoders = spDecoders(json);
    if (addPrefixSpace) {
      ObjectNode strip = decoders.addObject();
      strip.put("type", "Strip");
      strip.put("content", " ");
      strip.put("start", 1);
      strip.put("stop", 0);
    }
  }

  private static void rebuildGemma(ObjectNode json, String unkToken) {
    ObjectNode model = (ObjectNode) json.get("model");
    model.putNull("dropout");
    if (unkToken == null) {
      model.putNull("unk_token");
    } else {
      model.put("unk_token", unkToken);
    }
    model.putNull("continuing_subword_prefix");
    model.putNull("end_of_word_suffix");
    model.put("fuse_unk", true);
    model.put("byte_fallback", true);
    model.put("ignore_merges", false);
    ObjectNode normalizer = json.putObject("normalizer");
    normalizer.put("type", "Replace");
    normalizer.putObject("pattern").put("String", " ");
    normalizer.put("content", METASPACE);
    ObjectNode pre = json.putObject("pre_tokenizer");
    pre.put("type", "Split");
    pre.putObject("pattern").put("String", " ");
    pre.put("behavior", "MergedWithPrevious");
    pre.put("invert", false);
    spDecoders(json);
  }

  private static void rebuildQwen2(ObjectNode json, JsonNode config) {
    boolean addPrefixSpace = config.path("add_prefix_space").asBoolean(false);
    ObjectNode model = (ObjectNode) json.get("model");
    model.putNull("dropout");
    model.putNull("unk_token");
    model.put("continuing_subword_prefix", "");
    model.put("end_of_word_suffix", "");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.put("ignore_merges", false);
    json.putObject("normalizer").put("type", "NFC");
    ObjectNode pre = json.putObject("pre_tokenizer");
    pre.put("type", "Sequence");
    ArrayNode steps = pre.putArray("pretokenizers");
    ObjectNode split = steps.addObject();
    split.put("type", "Split");
    split.putObject("pattern").put("Regex", QWEN2_SPLIT);
    split.put("behavior", "Isolated");
    split.put("invert", false);
    ObjectNode byteLevel = steps.addObject();
    byteLevel.put("type", "ByteLevel");
    byteLevel.put("add_prefix_space", addPrefixSpace);
    byteLevel.put("trim_offsets", true);
    byteLevel.put("use_regex", false);
    ObjectNode decoder = json.putObject("decoder");
    decoder.put("type", "ByteLevel");
    decoder.put("add_prefix_space", true);
    decoder.put("trim_offsets", true);
    decoder.put("use_regex", true);
  }

  /** Sets the decoder to Sequence[Replace ▁ → ' ', ByteFallback, Fuse] and returns its list. */
  private static ArrayNode spDecoders(ObjectNode json) {
    ObjectNode decoder = json.putObject("decoder");
    decoder.put("type", "Sequence");
    ArrayNode decoders = decoder.putArray("decoders");
    ObjectNode replace = decoders.addObject();
    replace.put("type", "Replace");
    replace.putObject("pattern").put("String", METASPACE);
    replace.put("content", " ");
    decoders.addObject().put("type", "ByteFallback");
    decoders.addObject().put("type", "Fuse");
    return decoders;
  }

  /**
   * The value of a named special token: tokenizer_config's (a string or an AddedToken object; an explicit
   * null means none), else the class default.
   */
  private static String tokenString(JsonNode config, String key, Map<String, String> defaults) {
    if (config.has(key)) {
      return SpecialTokens.tokenString(config.get(key));
    }
    return defaults.get(key);
  }

  private static List<String> namedSpecialTokens(JsonNode config, Map<String, String> defaults) {
    List<String> named = new ArrayList<>();
    for (String key : List.of("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token",
        "mask_token")) {
      String token = tokenString(config, key, defaults);
      if (token != null) {
        named.add(token);
      }
    }
    for (String key : List.of("additional_special_tokens", "extra_special_tokens")) {
      JsonNode list = config.path(key);
      if (list.isArray()) {
        list.forEach(t -> {
          String token = SpecialTokens.tokenString(t);
          if (token != null) {
            named.add(token);
          }
        });
      } else if (list.isObject()) {
        list.forEach(t -> {
          String token = SpecialTokens.tokenString(t);
          if (token != null) {
            named.add(token);
          }
        });
      }
    }
    return named;
  }

  /**
   * The added tokens of a rebuilt tokenizer: tokenizer_config's {@code added_tokens_decoder} (else the
   * file's), named special tokens marked special, and named special tokens missing from them added.
   */
  private static void setAddedTokens(ObjectNode json, JsonNode config, Map<String, String> defaults) {
    TreeMap<Integer, ObjectNode> byId = new TreeMap<>();
    JsonNode decoder = config.path("added_tokens_decoder");
    if (decoder.isObject() && !decoder.isEmpty()) {
      for (var entry : decoder.properties()) {
        int id;
        try {
          id = Integer.parseInt(entry.getKey());
        } catch (NumberFormatException e) {
          throw new TokenizerException("tokenizer_config.json: added_tokens_decoder key \"" + entry.getKey()
              + "\" is not a token id");
        }
        JsonNode t = entry.getValue();
        String content = SpecialTokens.tokenString(t);
        if (content == null) {
          throw new TokenizerException("tokenizer_config.json: added_tokens_decoder[\"" + id + "\"] has no content");
        }
        boolean special = t.path("special").asBoolean(false);
        byId.put(id, addedToken(id, content, t.path("single_word").asBoolean(false), t.path("lstrip").asBoolean(false),
            t.path("rstrip").asBoolean(false), t.path("normalized").asBoolean(!special), special));
      }
    } else {
      JsonNode fileTokens = json.path("added_tokens");
      for (int i = 0; i < fileTokens.size(); i++) {
        JsonNode t = fileTokens.get(i);
        if (!t.isObject() || !t.path("id").canConvertToInt() || !t.path("content").isTextual()) {
          throw new TokenizerException("tokenizer.json: added_tokens[" + i + "] is not an {id, content, ...} object");
        }
        byId.put(t.path("id").asInt(), (ObjectNode) t.deepCopy());
      }
    }
    Map<String, ObjectNode> byContent = new HashMap<>();
    byId.values().forEach(t -> byContent.putIfAbsent(t.path("content").asText(), t));
    JsonNode vocab = json.path("model").path("vocab");
    int nextId = Math.max(byId.isEmpty() ? -1 : byId.lastKey(), maxVocabId(vocab)) + 1;
    for (String token : namedSpecialTokens(config, defaults)) {
      ObjectNode existing = byContent.get(token);
      if (existing != null) {
        existing.put("special", true);
        continue;
      }
      int id = vocab.path(token).canConvertToInt() ? vocab.path(token).asInt() : nextId++;
      ObjectNode added = addedToken(id, token, false, false, false, false, true);
      byId.put(id, added);
      byContent.put(token, added);
    }
    ArrayNode list = json.putArray("added_tokens");
    byId.values().forEach(list::add);
  }

  private static int maxVocabId(JsonNode vocab) {
    int max = -1;
    for (JsonNode id : vocab) {
      max = Math.max(max, id.asInt(-1));
    }
    return max;
  }

  private static ObjectNode addedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip,
      boolean normalized, boolean special) {
    ObjectNode t = NODES.objectNode();
    t.put("id", id);
    t.put("content", content);
    t.put("single_word", singleWord);
    t.put("lstrip", lstrip);
    t.put("rstrip", rstrip);
    t.put("normalized", normalized);
    t.put("special", special);
    return t;
  }

}
