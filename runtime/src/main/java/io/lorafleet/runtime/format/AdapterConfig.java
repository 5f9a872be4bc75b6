package io.lorafleet.runtime.format;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

/**
 * A PEFT LoRA {@code adapter_config.json}. Holds what decides which modules an adapter changes and with
 * what scale; {@link #load(Path)} refuses the PEFT features LoraFleet does not implement (DoRA,
 * fan_in_fan_out, trained biases, modules_to_save) with a message naming the field.
 */
public record AdapterConfig(
    int r,
    double loraAlpha,
    boolean useRslora,
    List<String> targetModuleList,
    String targetModuleRegex,
    List<Integer> layersToTransform,
    Map<String, Integer> rankPattern,
    Map<String, Double> alphaPattern,
    String baseModelNameOrPath) {

  public static final String FILE = "adapter_config.json";
  /** Longest regex (target_modules, a rank_pattern or alpha_pattern key) accepted. */
  public static final int MAX_PATTERN_CHARS = 1024;
  /** Most rank_pattern or alpha_pattern entries accepted. */
  public static final int MAX_PATTERN_ENTRIES = 1024;

  public AdapterConfig {
    targetModuleList = targetModuleList == null ? null : List.copyOf(targetModuleList);
    layersToTransform = layersToTransform == null ? null : List.copyOf(layersToTransform);
    // PEFT takes the first matching pattern key: keep the file's order.
    rankPattern = Collections.unmodifiableMap(new LinkedHashMap<>(rankPattern));
    alphaPattern = Collections.unmodifiableMap(new LinkedHashMap<>(alphaPattern));
  }

  /**
   * Reads and validates {@code dir/adapter_config.json}; the file must be a regular file, not a symbolic link
   * (adapter directories come from callers). Its regexes ({@code target_modules}, {@code rank_pattern},
   * {@code alpha_pattern}) are RE2 patterns: matched in linear time, whatever they are.
   */
  public static AdapterConfig load(Path dir) {
    return parse(JsonFiles.readObject(dir.resolve(FILE), true));
  }

  static AdapterConfig parse(JsonFields f) {
    String peftType = f.optionalString("peft_type", "LORA");
    if (!peftType.equals("LORA")) {
      throw f.error("peft_type \"" + peftType + "\" is not supported (only LORA)");
    }
    if (f.optionalBoolean("use_dora", false)) {
      throw f.error("use_dora: DoRA adapters are not supported");
    }
    if (f.optionalBoolean("fan_in_fan_out", false)) {
      throw f.error("fan_in_fan_out: true is not supported (Llama projections are nn.Linear)");
    }
    String bias = f.optionalString("bias", "none");
    if (!bias.equals("none")) {
      throw f.error("bias \"" + bias + "\" is not supported (only \"none\")");
    }
    if (f.has("modules_to_save") && !f.root().get("modules_to_save").isEmpty()) {
      throw f.error("modules_to_save " + f.root().get("modules_to_save")
          + " is not supported: the adapter would replace whole base modules");
    }
    if (f.has("layer_replication")) {
      throw f.error("layer_replication is not supported");
    }
    int r = f.positiveInt("r");
    double alpha = f.optionalDouble("lora_alpha", 8);
    if (!(alpha > 0) || Double.isInfinite(alpha)) {
      throw f.error("lora_alpha must be a positive number, got " + alpha);
    }
    List<String> list = null;
    String regex = null;
    JsonNode tm = f.root().get("target_modules");
    if (tm == null || tm.isNull()) {
      throw f.error("missing \"target_modules\"");
    } else if (tm.isTextual() && tm.textValue().equals("all-linear")) {
      list = List.of("all-linear");
    } else if (tm.isTextual()) {
      regex = tm.textValue();
      try {
        Pattern.compile(regex);
      } catch (PatternSyntaxException e) {
        throw f.error("target_modules regex is invalid: " + e.getDescription());
      }
      if (regex.length() > MAX_PATTERN_CHARS) {
        throw f.error("target_modules regex is longer than " + MAX_PATTERN_CHARS + " characters");
      }
    } else {
      list = f.stringOrStringList("target_modules");
    }
    List<Integer> layers = null;
    if (f.has("layers_to_transform")) {
      layers = f.intOrIntList("layers_to_transform");
    }
    return new AdapterConfig(r, alpha, f.optionalBoolean("use_rslora", false), list, regex, layers,
        intPattern(f, "rank_pattern"), doublePattern(f, "alpha_pattern"),
        f.optionalString("base_model_name_or_path", ""));
  }

  /** Bounds a pattern map's size and its keys' lengths, and checks each key is a valid RE2 regex. */
  private static void checkPatterns(JsonFields p, String field) {
    if (p.root().size() > MAX_PATTERN_ENTRIES) {
      throw p.error(field + " has more than " + MAX_PATTERN_ENTRIES + " entries");
    }
    p.root().fieldNames().forEachRemaining(k -> {
      if (k.length() > MAX_PATTERN_CHARS) {
        throw p.error(field + " has a key longer than " + MAX_PATTERN_CHARS + " characters");
      }
      try {
        Pattern.compile("(.*\\.)?(" + k + ")$");
      } catch (PatternSyntaxException e) {
        throw p.error(field + " key is not a supported (RE2) regex: " + e.getDescription());
      }
    });
  }

  private static Map<String, Integer> intPattern(JsonFields f, String field) {
    Map<String, Integer> out = new LinkedHashMap<>();
    if (f.has(field)) {
      JsonFields p = f.child(field);
      checkPatterns(p, field);
      p.root().fieldNames().forEachRemaining(k -> {
        int v = p.positiveInt(k);
        out.put(k, v);
      });
    }
    return out;
  }

  private static Map<String, Double> doublePattern(JsonFields f, String field) {
    Map<String, Double> out = new LinkedHashMap<>();
    if (f.has(field)) {
      JsonFields p = f.child(field);
      checkPatterns(p, field);
      p.root().fieldNames().forEachRemaining(k -> {
        double v = p.optionalDouble(k, Double.NaN);
        if (!(v > 0) || Double.isInfinite(v)) {
          throw p.error("\"" + k + "\" must be a positive number");
        }
        out.put(k, v);
      });
    }
    return out;
  }

  /**
   * Whether PEFT would wrap the module {@code moduleName} (e.g. {@code model.layers.3.self_attn.q_proj})
   * of layer {@code layer}: target_modules as a list match the name or its last component; as a string it
   * is a regex that must match the whole name; layers_to_transform then filters by layer index.
   */
  public boolean targets(String moduleName, int layer) {
    boolean matched;
    if (targetModuleRegex != null) {
      matched = Pattern.compile(targetModuleRegex).matcher(moduleName).matches();
    } else {
      matched = targetModuleList.stream()
          .anyMatch(t -> moduleName.equals(t) || moduleName.endsWith("." + t) || t.equals("all-linear"));
    }
    if (!matched) {
      return false;
    }
    return layersToTransform == null || layersToTransform.contains(layer);
  }

  /** The rank PEFT gives {@code moduleName} (rank_pattern overrides r). */
  public int rankFor(String moduleName) {
    return patternValue(rankPattern, moduleName).orElse(r);
  }

  /** The alpha PEFT gives {@code moduleName} (alpha_pattern overrides lora_alpha). */
  public double alphaFor(String moduleName) {
    return patternValue(alphaPattern, moduleName).orElse(loraAlpha);
  }

  /** {@code alpha / r}, or {@code alpha / sqrt(r)} with rsLoRA, for {@code moduleName}. */
  public double scalingFor(String moduleName) {
    int rank = rankFor(moduleName);
    double alpha = alphaFor(moduleName);
    return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
  }

  /** PEFT's rule: the first pattern key {@code k} with {@code (.*\.)?k$} matching the module name. */
  private static <T> Optional<T> patternValue(Map<String, T> pattern, String moduleName) {
    for (var e : pattern.entrySet()) {
      if (Pattern.compile("(.*\\.)?(" + e.getKey() + ")$").matcher(moduleName).matches()) {
        return Optional.of(e.getValue());
      }
    }
    return Optional.empty();
  }

  /** Target module names as given (for display); the regex as a one-element list when that form is used. */
  public List<String> targetModulesForDisplay() {
    return targetModuleList != null ? targetModuleList : new ArrayList<>(List.of(targetModuleRegex));
  }
}
