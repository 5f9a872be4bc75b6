package io.lorafleet.runtime.model;

import io.lorafleet.runtime.errors.AdapterIncompatibleException;
import io.lorafleet.runtime.errors.ModelFormatException;
import io.lorafleet.runtime.format.AdapterConfig;
import io.lorafleet.runtime.format.LlamaConfig;
import io.lorafleet.runtime.format.SafetensorsFile;
import io.lorafleet.runtime.format.TensorView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import com.google.re2j.Matcher;
import com.google.re2j.Pattern;

/**
 * A PEFT LoRA adapter loaded into memory and validated against a base model: for each layer, the
 * modules it changes. Immutable, so one instance can serve any number of concurrent sequences.
 */
public final class LoraAdapter {
  public static final String WEIGHTS_FILE = "adapter_model.safetensors";
  private static final Pattern KEY = Pattern.compile(
      "(?:base_model\\.model\\.)?model\\.layers\\.(\\d+)\\.(self_attn|mlp)\\.(\\w+_proj)\\.lora_([AB])(?:\\.[\\w-]+)?\\.weight");

  private final String id;
  private final Path dir;
  private final AdapterConfig config;
  private final List<Map<LoraTarget, LoraModule>> layers;
  private final long bytes;
  private final int maxRank;
  private final String contentDigest;
  private final boolean keepsBaseKv;

  private LoraAdapter(String id, Path dir, AdapterConfig config, List<Map<LoraTarget, LoraModule>> layers) {
    this.id = id;
    this.dir = dir;
    this.config = config;
    this.layers = layers;
    this.bytes = layers.stream().flatMap(m -> m.values().stream()).mapToLong(LoraModule::bytes).sum();
    this.maxRank = layers.stream().flatMap(m -> m.values().stream()).mapToInt(LoraModule::rank).max().orElse(0);
    this.contentDigest = digest(layers);
    this.keepsBaseKv = keepsBaseKv(layers);
  }

  /** SHA-256 (hex, first 128 bits) over every module's place, rank, scaling and weights. */
  private static String digest(List<Map<LoraTarget, LoraModule>> layers) {
    java.security.MessageDigest sha;
    try {
      sha = java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(1 << 16);
    for (Map<LoraTarget, LoraModule> layer : layers) {
      for (LoraModule m : layer.values()) {
        buf.putInt(m.layer()).putInt(m.target().ordinal()).putInt(m.rank()).putFloat(m.scaling());
        for (float[] w : new float[][] {m.a(), m.b()}) {
          buf.putInt(w.length);
          for (float v : w) {
            if (!buf.hasRemaining()) {
              sha.update(buf.array(), 0, buf.position());
              buf.clear();
            }
            buf.putFloat(v);
          }
          sha.update(buf.array(), 0, buf.position());
          buf.clear();
        }
      }
    }
    return java.util.HexFormat.of().formatHex(sha.digest(), 0, 16);
  }

  /**
   * Whether the K/V this adapter produces equal the base model's at every layer. The K/V of layer {@code L}
   * are {@code k_proj}/{@code v_proj} of layer {@code L} applied to the residual stream entering it, and that
   * stream is changed by every module of every earlier layer (q/o change the attention output, the MLP its
   * own), so the answer is yes only when every module sits in the last layer and none is k_proj or v_proj.
   */
  private static boolean keepsBaseKv(List<Map<LoraTarget, LoraModule>> layers) {
    for (int l = 0; l < layers.size(); l++) {
      for (LoraTarget t : layers.get(l).keySet()) {
        if (l < layers.size() - 1 || t == LoraTarget.K || t == LoraTarget.V) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Loads the PEFT adapter in {@code dir} for a base model with config {@code base}. {@code rankLimit}
   * bounds the rank of any module (0 for no limit).
   *
   * @throws ModelFormatException when files are missing or malformed
   * @throws AdapterIncompatibleException when the adapter does not fit the base or uses unsupported features
   */
  public static LoraAdapter load(String id, Path dir, LlamaConfig base, int rankLimit) {
    if (!Files.isDirectory(dir)) {
      throw new ModelFormatException(dir + ": adapter directory not found");
    }
    AdapterConfig cfg;
    try {
      cfg = AdapterConfig.load(dir);
    } catch (ModelFormatException e) {
      if (e.getMessage().contains("not supported")) {
        throw new AdapterIncompatibleException(e.getMessage());
      }
      throw e;
    }
    Path weights = dir.resolve(WEIGHTS_FILE);
    if (!Files.exists(weights, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      if (Files.exists(dir.resolve("adapter_model.bin"))) {
        throw new AdapterIncompatibleException(dir.resolve("adapter_model.bin")
            + ": pickled adapter weights are refused (they can run code); save the adapter with safetensors");
      }
      throw new ModelFormatException(weights + ": file not found");
    }
    try (SafetensorsFile st = SafetensorsFile.openAdapter(weights)) {
      return new LoraAdapter(id, dir, cfg, bind(weights, cfg, base, st.tensors(), rankLimit));
    }
  }

  private static List<Map<LoraTarget, LoraModule>> bind(
      Path file, AdapterConfig cfg, LlamaConfig base, Map<String, TensorView> tensors, int rankLimit) {
    record Key(int layer, LoraTarget target) {}
    Map<Key, TensorView> as = new HashMap<>();
    Map<Key, TensorView> bs = new HashMap<>();
    for (TensorView t : tensors.values()) {
      Matcher m = KEY.matcher(t.name());
      if (!m.matches()) {
        throw new AdapterIncompatibleException(file + ": unsupported tensor " + t.name()
            + " (LoraFleet applies LoRA to the q/k/v/o/gate/up/down projections only)");
      }
      int layer = Integer.parseInt(m.group(1));
      LoraTarget target = LoraTarget.fromProjection(m.group(3))
          .filter(x -> x.moduleName(0).contains("." + m.group(2) + "."))
          .orElseThrow(() -> new AdapterIncompatibleException(file + ": unsupported LoRA module in " + t.name()));
      if (layer >= base.numLayers()) {
        throw new AdapterIncompatibleException(file + ": tensor " + t.name() + " is for layer " + layer
            + " but the base model has " + base.numLayers() + " layers");
      }
      if (!cfg.targets(target.moduleName(layer), layer)) {
        throw new AdapterIncompatibleException(file + ": tensor " + t.name()
            + " is for a module adapter_config.json does not target");
      }
      (m.group(4).equals("A") ? as : bs).put(new Key(layer, target), t);
    }
    List<Map<LoraTarget, LoraModule>> layers = new ArrayList<>();
    int modules = 0;
    for (int layer = 0; layer < base.numLayers(); layer++) {
      Map<LoraTarget, LoraModule> mods = new EnumMap<>(LoraTarget.class);
      for (LoraTarget target : LoraTarget.values()) {
        String module = target.moduleName(layer);
        Key key = new Key(layer, target);
        TensorView a = as.get(key);
        TensorView b = bs.get(key);
        if (!cfg.targets(module, layer)) {
          continue;
        }
        if (a == null || b == null) {
          throw new AdapterIncompatibleException(file + ": adapter_config.json targets " + module
              + " but lora_" + (a == null ? "A" : "B") + " for it is missing");
        }
        int rank = cfg.rankFor(module);
        int in = target.inFeatures(base);
        int out = target.outFeatures(base);
        if (!a.hasShape(rank, in)) {
          throw new AdapterIncompatibleException(file + ": " + a.name() + " has shape " + a.shapeString()
              + ", expected [" + rank + ", " + in + "] (rank " + rank + ", base " + target.projection() + " in_features " + in + ")");
        }
        if (!b.hasShape(out, rank)) {
          throw new AdapterIncompatibleException(file + ": " + b.name() + " has shape " + b.shapeString()
              + ", expected [" + out + ", " + rank + "] (base " + target.projection() + " out_features " + out + ")");
        }
        if (rankLimit > 0 && rank > rankLimit) {
          throw new AdapterIncompatibleException(file + ": rank " + rank + " of " + module
              + " is above the configured maximum " + rankLimit);
        }
        float[] av = finite(file, a);
        float[] bv = finite(file, b);
        mods.put(target, new LoraModule(target, layer, rank, in, out, av, bv, (float) cfg.scalingFor(module)));
        modules++;
      }
      layers.add(Collections.unmodifiableMap(mods));
    }
    if (modules == 0) {
      throw new AdapterIncompatibleException(file + ": the adapter changes no module of the base model (targets "
          + new TreeSet<>(cfg.targetModulesForDisplay()) + ")");
    }
    return List.copyOf(layers);
  }

  private static float[] finite(Path file, TensorView t) {
    float[] v = t.toFloatArray();
    for (int i = 0; i < v.length; i++) {
      if (!Float.isFinite(v[i])) {
        throw new AdapterIncompatibleException(file + ": tensor " + t.name() + " contains " + v[i] + " at element " + i);
      }
    }
    return v;
  }

  public String id() {
    return id;
  }

  public Path dir() {
    return dir;
  }

  public AdapterConfig config() {
    return config;
  }

  /** The modules of {@code layer} this adapter changes (possibly none). */
  public Map<LoraTarget, LoraModule> layer(int layer) {
    return layers.get(layer);
  }

  public int numLayers() {
    return layers.size();
  }

  /** Bytes of float32 weights held in memory. */
  public long bytes() {
    return bytes;
  }

  public int maxRank() {
    return maxRank;
  }

  /**
   * A digest of the weights (every module's place, rank, scaling, A and B): an adapter registered again
   * under the same id with other weights gets another digest, so nothing keyed by it (the prefix cache)
   * mistakes one for the other.
   */
  public String contentDigest() {
    return contentDigest;
  }

  /**
   * Whether this adapter leaves every layer's K/V exactly as the base model computes them (only modules of
   * the last layer other than k_proj/v_proj), so that its requests can share the base model's cached KV
   * blocks.
   */
  public boolean keepsBaseKv() {
    return keepsBaseKv;
  }

  @Override
  public String toString() {
    return "LoraAdapter[" + id + ", r<=" + maxRank + ", " + (bytes >> 10) + " KiB]";
  }
}
