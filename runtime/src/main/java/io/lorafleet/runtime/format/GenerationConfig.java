package io.lorafleet.runtime.format;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The optional {@code generation_config.json}: extra end-of-sequence ids and the model's default
 * sampling settings (used when a request leaves them unset).
 */
public record GenerationConfig(
    List<Integer> eosTokenIds, int bosTokenId, int padTokenId, boolean doSample, double temperature, double topP,
    int topK, double repetitionPenalty) {

  public static final String FILE = "generation_config.json";
  public static final GenerationConfig DEFAULTS = new GenerationConfig(List.of(), -1, -1, false, 1.0, 1.0, 0, 1.0);

  public GenerationConfig {
    eosTokenIds = List.copyOf(eosTokenIds);
  }

  /** Reads {@code dir/generation_config.json}, or returns {@link #DEFAULTS} when there is none. */
  public static GenerationConfig load(Path dir) {
    Path file = dir.resolve(FILE);
    if (!Files.exists(file)) {
      return DEFAULTS;
    }
    JsonFields f = JsonFiles.readObject(file);
    return new GenerationConfig(
        f.intOrIntList("eos_token_id"),
        f.optionalInt("bos_token_id", -1),
        f.optionalInt("pad_token_id", -1),
        f.optionalBoolean("do_sample", false),
        f.optionalDouble("temperature", 1.0),
        f.optionalDouble("top_p", 1.0),
        f.optionalInt("top_k", 0),
        f.optionalDouble("repetition_penalty", 1.0));
  }
}
