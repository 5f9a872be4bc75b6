package io.lorafleet.runtime.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafleet.runtime.errors.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The weights of a model directory: {@code model.safetensors}, or the shards listed by
 * {@code model.safetensors.index.json}. Tensors from all shards are exposed under one name map.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {
  public static final String SINGLE_FILE = "model.safetensors";
  public static final String INDEX_FILE = "model.safetensors.index.json";

  private final List<SafetensorsFile> files;
  private final Map<String, TensorView> tensors;

  private SafetensorsCheckpoint(List<SafetensorsFile> files, Map<String, TensorView> tensors) {
    this.files = files;
    this.tensors = tensors;
  }

  /** Opens the weights of the HF model directory {@code dir}. */
  public static SafetensorsCheckpoint open(Path dir) {
    Path index = dir.resolve(INDEX_FILE);
    if (Files.isRegularFile(index)) {
      return openSharded(dir, index);
    }
    Path single = dir.resolve(SINGLE_FILE);
    if (Files.isRegularFile(single)) {
      SafetensorsFile f = SafetensorsFile.open(single);
      return new SafetensorsCheckpoint(List.of(f), f.tensors());
    }
    if (Files.exists(dir.resolve("pytorch_model.bin")) || Files.exists(dir.resolve("pytorch_model.bin.index.json"))) {
      throw new ModelFormatException(dir + ": only pickled pytorch_model.bin weights found; LoraFleet reads "
          + "safetensors only (pickles can run code). Convert the checkpoint to safetensors first.");
    }
    throw new ModelFormatException(dir + ": no " + SINGLE_FILE + " or " + INDEX_FILE + " found");
  }

  private static SafetensorsCheckpoint openSharded(Path dir, Path index) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(index.toFile());
    } catch (IOException e) {
      throw new ModelFormatException(index + ": not valid JSON: " + e.getMessage());
    }
    JsonNode weightMap = root == null ? null : root.get("weight_map");
    if (weightMap == null || !weightMap.isObject() || weightMap.isEmpty()) {
      throw new ModelFormatException(index + ": missing or empty \"weight_map\"");
    }
    Map<String, String> wanted = new LinkedHashMap<>();
    weightMap.fields().forEachRemaining(e -> wanted.put(e.getKey(), e.getValue().asText()));
    List<SafetensorsFile> files = new ArrayList<>();
    Map<String, TensorView> tensors = new LinkedHashMap<>();
    Path base = dir.toAbsolutePath().normalize();
    try {
      for (String shard : new TreeSet<>(wanted.values())) {
        Path p = base.resolve(shard).normalize();
        if (!p.getParent().equals(base) || !shard.endsWith(".safetensors")) {
          throw new ModelFormatException(index + ": shard name '" + shard + "' must be a .safetensors file in " + dir);
        }
        SafetensorsFile f = SafetensorsFile.open(p);
        files.add(f);
        for (var e : f.tensors().entrySet()) {
          if (tensors.putIfAbsent(e.getKey(), e.getValue()) != null) {
            throw new ModelFormatException(p + ": tensor " + e.getKey() + " appears in more than one shard");
          }
          String claimed = wanted.get(e.getKey());
          if (claimed == null) {
            throw new ModelFormatException(p + ": tensor " + e.getKey() + " is not listed in " + INDEX_FILE);
          }
          if (!claimed.equals(shard)) {
            throw new ModelFormatException(p + ": tensor " + e.getKey() + " is listed in " + INDEX_FILE
                + " under shard " + claimed);
          }
        }
      }
      for (String name : wanted.keySet()) {
        if (!tensors.containsKey(name)) {
          throw new ModelFormatException(dir.resolve(wanted.get(name)) + ": tensor " + name
              + " listed in " + INDEX_FILE + " is missing from the shard");
        }
      }
    } catch (RuntimeException e) {
      files.forEach(SafetensorsFile::close);
      throw e;
    }
    return new SafetensorsCheckpoint(List.copyOf(files), Collections.unmodifiableMap(tensors));
  }

  public Map<String, TensorView> tensors() {
    return tensors;
  }

  public List<SafetensorsFile> files() {
    return files;
  }

  public long totalBytes() {
    return tensors.values().stream().mapToLong(t -> t.data().byteSize()).sum();
  }

  @Override
  public void close() {
    files.forEach(SafetensorsFile::close);
  }
}
