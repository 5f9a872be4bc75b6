package io.lorafleet.runtime.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Hugging Face tokenizer loaded from a model directory: the native HF {@code tokenizers} library
 * through DJL for encoding and decoding (so results are those of the Python library), plus what DJL
 * does not expose, read from the JSON files: the vocabulary strings, which added tokens are special,
 * BOS/EOS/PAD ids and the chat template.
 *
 * <p>Encoding and decoding are thread-safe. {@link #close()} frees the native tokenizer; call it only
 * when no other thread uses this instance any more. DJL is configured with truncation and padding off
 * (its defaults would cut inputs at 512 tokens and pad batches).
 */
public final class HfTokenizer implements AutoCloseable {
  static {
    DjlEnvironment.keepOffline();
  }

  private static final Logger LOG = LoggerFactory.getLogger(HfTokenizer.class);
  private static final Map<String, String> DJL_OPTIONS = Map.of("truncation", "false", "padding", "false");

  private final Path modelDir;
  private final HuggingFaceTokenizer nativeTokenizer;
  private final Vocabulary vocabulary;
  private final SpecialTokens specialTokens;
  private final Map<String, ChatTemplate> chatTemplates;
  private final TokenBytes.Decoder decoder;
  private volatile TokenBytes tokenBytes;

  private HfTokenizer(Path modelDir, HuggingFaceTokenizer nativeTokenizer, Vocabulary vocabulary,
      SpecialTokens specialTokens, Map<String, ChatTemplate> chatTemplates, TokenBytes.Decoder decoder) {
    this.modelDir = modelDir;
    this.nativeTokenizer = nativeTokenizer;
    this.vocabulary = vocabulary;
    this.specialTokens = specialTokens;
    this.chatTemplates = chatTemplates;
    this.decoder = decoder;
  }

  /**
   * Loads {@code tokenizer.json} (required) and, when present, {@code tokenizer_config.json}, {@code
   * generation_config.json}, {@code config.json} and {@code chat_template.jinja} from a HF model
   * directory.
   *
   * @throws TokenizerException naming the file and the problem if the directory or {@code
   *     tokenizer.json} is missing, or a file is not valid JSON or not a valid tokenizer
   */
  public static HfTokenizer load(Path modelDir) throws TokenizerException {
    Objects.requireNonNull(modelDir, "modelDir");
    if (!Files.isDirectory(modelDir)) {
      String problem = Files.exists(modelDir) ? "not a directory" : "model directory not found";
      throw new TokenizerException(modelDir + ": " + problem);
    }
    Path tokenizerFile = modelDir.resolve("tokenizer.json");
    Path tokenizerConfigFile = modelDir.resolve("tokenizer_config.json");
    JsonNode tokenizerConfig = JsonConfigFile.readOptional(tokenizerConfigFile);
    JsonNode modelConfig = JsonConfigFile.readOptional(modelDir.resolve("config.json"));
    JsonNode tokenizerFileJson = JsonConfigFile.readRequired(tokenizerFile);
    TransformersLoading.Result loading;
    try {
      loading = TransformersLoading.apply(tokenizerFileJson, tokenizerConfig, modelConfig);
    } catch (TokenizerException e) {
      throw new TokenizerException(modelDir + ": " + e.getMessage(), e);
    }
    if (loading.warning() != null) {
      LOG.warn("{}: {}", modelDir, loading.warning());
    }
    JsonNode tokenizerJson = loading.tokenizerJson();
    Vocabulary vocabulary = Vocabulary.of(tokenizerJson, tokenizerFile);
    TokenBytes.Decoder decoder = TokenBytes.Decoder.of(tokenizerJson, tokenizerFile);
    SpecialTokens specialTokens = SpecialTokens.resolve(vocabulary, tokenizerConfig, tokenizerConfigFile,
        JsonConfigFile.readOptional(modelDir.resolve("generation_config.json")), modelConfig);
    Map<String, ChatTemplate> templates = new LinkedHashMap<>();
    ChatTemplateSources.read(modelDir, tokenizerConfig, tokenizerConfigFile).forEach((name, source) -> {
      ChatTemplate template = ChatTemplate.of(source, specialTokens.templateVariables());
      template.problem().ifPresent(p -> LOG.warn("{}: chat template '{}' will not render: {}", modelDir, name, p));
      templates.put(name, template);
    });
    HfTokenizer tokenizer = new HfTokenizer(modelDir,
        openNative(tokenizerFile, loading.changed() ? loading.tokenizerJson() : null), vocabulary, specialTokens,
        Map.copyOf(templates), decoder);
    LOG.debug("Loaded tokenizer {} as {}{}: {} tokens, bos {}, eos {}, pad {}, chat templates {}", tokenizerFile,
        loading.tokenizerClass().isEmpty() ? "generic" : loading.tokenizerClass(),
        loading.changed() ? " (adjusted as transformers 5 loads it)" : "", vocabulary.size(), specialTokens.bosId(),
        specialTokens.eosIds(), specialTokens.padId(), templates.keySet());
    return tokenizer;
  }

  /** The native tokenizer of the file, or of {@code adjusted} (the file as transformers loads it) if not null. */
  private static HuggingFaceTokenizer openNative(Path tokenizerFile, JsonNode adjusted) {
    try {
      if (adjusted != null) {
        byte[] json = JsonConfigFile.write(adjusted);
        try (InputStream in = new ByteArrayInputStream(json)) {
          return HuggingFaceTokenizer.newInstance(in, DJL_OPTIONS);
        }
      }
      return HuggingFaceTokenizer.newInstance(tokenizerFile, DJL_OPTIONS);
    } catch (IOException e) {
      throw new TokenizerException(tokenizerFile + ": cannot read: " + e.getMessage(), e);
    } catch (LinkageError e) {
      throw new TokenizerException(tokenizerFile + ": cannot load the native HF tokenizers library of DJL: " + e, e);
    } catch (RuntimeException e) {
      throw new TokenizerException(tokenizerFile + ": not a valid HF tokenizer: " + e.getMessage(), e);
    }
  }

  /**
   * Encodes text into token ids.
   *
   * @param addSpecialTokens whether to add the special tokens of the {@code tokenizer.json}
   *     post-processor (e.g. a leading BOS); chat-template output already has them: pass false
   */
  public int[] encode(String text, boolean addSpecialTokens) {
    Objects.requireNonNull(text, "text");
    long[] ids = nativeTokenizer.encode(text, addSpecialTokens, false).getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  /**
   * Decodes token ids into text as the HF library does: invalid UTF-8 becomes U+FFFD, ids the tokenizer
   * does not know are left out.
   *
   * @param skipSpecialTokens whether to leave out added tokens marked special
   */
  public String decode(int[] ids, boolean skipSpecialTokens) {
    return decode(ids, 0, ids.length, skipSpecialTokens);
  }

  /** Decodes {@code ids[from, to)}; see {@link #decode(int[], boolean)}. */
  public String decode(int[] ids, int from, int to, boolean skipSpecialTokens) {
    Objects.checkFromToIndex(from, to, ids.length);
    if (from == to) {
      return "";
    }
    long[] longs = new long[to - from];
    for (int i = from; i < to; i++) {
      longs[i - from] = checkId(ids[i]);
    }
    return nativeTokenizer.decode(longs, skipSpecialTokens);
  }

  /**
   * The vocabulary string of one id as stored in {@code tokenizer.json} (byte-level BPE shows a leading
   * space as {@code Ġ}, e.g. {@code "Ġb"}), or {@code ""} for an id the tokenizer does not know (such as
   * the padding rows of an embedding larger than the vocabulary). For display text use {@code
   * decode(new int[] {id}, false)}.
   */
  public String tokenText(int id) {
    String token = vocabulary.token(checkId(id));
    return token == null ? "" : token;
  }

  /** The id of a vocabulary string (added tokens included), if the tokenizer knows it. */
  public OptionalInt tokenId(String token) {
    return vocabulary.id(token);
  }

  /** Whether {@code id} is an added token marked {@code special} in {@code tokenizer.json}. */
  public boolean isSpecial(int id) {
    return vocabulary.isSpecial(checkId(id));
  }

  /**
   * Number of tokens the tokenizer knows: model vocabulary plus added tokens (HF's {@code
   * len(tokenizer)}). The model's {@code vocab_size} may be larger.
   */
  public int vocabSize() {
    return vocabulary.size();
  }

  /** The BOS id: {@code bos_token} of tokenizer_config, else {@code bos_token_id} of generation_config or config. */
  public OptionalInt bosTokenId() {
    return specialTokens.bosId();
  }

  /** The padding id, resolved like {@link #bosTokenId()}. */
  public OptionalInt padTokenId() {
    return specialTokens.padId();
  }

  /**
   * Every id that ends generation: tokenizer_config's {@code eos_token} plus {@code eos_token_id} (an int
   * or a list) of generation_config.json and config.json. Unmodifiable, in that order.
   */
  public Set<Integer> eosTokenIds() {
    return specialTokens.eosIds();
  }

  /** The special-token strings of tokenizer_config ({@code bos_token}, {@code eos_token}, ...) by name. */
  public Map<String, Object> specialTokenStrings() {
    return specialTokens.templateVariables();
  }

  /** The default chat template, if the model has one. */
  public Optional<ChatTemplate> chatTemplate() {
    return chatTemplate(ChatTemplateSources.DEFAULT);
  }

  /** A named chat template (tokenizer_config's list form, e.g. {@code tool_use}). */
  public Optional<ChatTemplate> chatTemplate(String name) {
    return Optional.ofNullable(chatTemplates.get(name));
  }

  /**
   * The bytes of text each token decodes to (built on first use), for constrained decoding.
   *
   * @throws TokenizerException naming the decoder when it is not one {@link TokenBytes} understands
   */
  public TokenBytes tokenBytes() {
    TokenBytes b = tokenBytes;
    if (b == null) {
      if (decoder.scheme() == null) {
        throw new TokenizerException("constrained decoding is not supported with this tokenizer: " + decoder.problem());
      }
      synchronized (this) {
        b = tokenBytes;
        if (b == null) {
          b = TokenBytes.of(decoder, vocabulary);
          tokenBytes = b;
        }
      }
    }
    return b;
  }

  /** A streaming decoder for one generated sequence; not thread-safe, one per sequence. */
  public IncrementalDecoder newDecoder(boolean skipSpecialTokens) {
    return new IncrementalDecoder(this, skipSpecialTokens);
  }

  /** Frees the native tokenizer. Idempotent; later calls to encode or decode fail. */
  @Override
  public void close() {
    nativeTokenizer.close();
  }

  private static int checkId(int id) {
    if (id < 0) {
      throw new IllegalArgumentException("negative token id " + id);
    }
    return id;
  }

  @Override
  public String toString() {
    return "HfTokenizer[" + modelDir + ", " + vocabulary.size() + " tokens]";
  }
}
