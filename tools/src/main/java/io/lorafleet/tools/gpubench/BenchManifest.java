package io.lorafleet.tools.gpubench;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lorafleet.runtime.format.DType;
import io.lorafleet.tools.synthetic.SyntheticCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code gpu-bench checkpoint} wrote and every side of the run loads: the model directory and the
 * adapters, in order (adapter {@code i} of every side is the same directory).
 *
 * @param shape          the checkpoint shape's name
 * @param modelDir       the HF model directory (absolute path)
 * @param vocabSize      the model's vocabulary
 * @param bosTokenId     the id the tokenizer puts first
 * @param adapterRank    LoRA rank of every adapter
 * @param adapterDtype   dtype of the LoRA tensors ({@code BF16} or {@code F32})
 * @param adapterTargets projections every adapter changes
 * @param adapters       the adapters: the name the server registers them under and their directory
 */
public record BenchManifest(
    String shape, String modelDir, int vocabSize, int bosTokenId, int adapterRank, String adapterDtype,
    List<String> adapterTargets, List<Adapter> adapters) {

  /** One adapter: its directory's name (the server's adapter id) and the directory. */
  public record Adapter(String name, String dir) {
    public Path path() {
      return Path.of(dir);
    }
  }

  static final ObjectMapper JSON = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public BenchManifest {
    adapterTargets = List.copyOf(adapterTargets);
    adapters = List.copyOf(adapters);
  }

  static BenchManifest of(SyntheticCheckpoint c, DType adapterDtype, int bosTokenId) {
    List<Adapter> list = new ArrayList<>();
    for (Path dir : c.adapterDirs()) {
      list.add(new Adapter(dir.getFileName().toString(), dir.toAbsolutePath().normalize().toString()));
    }
    return new BenchManifest(c.shape().name(), c.modelDir().toAbsolutePath().normalize().toString(),
        c.shape().vocabSize(),
        bosTokenId, SyntheticCheckpoint.ADAPTER_RANK, adapterDtype.name(), SyntheticCheckpoint.ADAPTER_TARGETS, list);
  }

  public Path modelPath() {
    return Path.of(modelDir);
  }

  public static BenchManifest read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": no manifest (run gpu-bench checkpoint first)");
    }
    return JSON.readValue(file.toFile(), BenchManifest.class);
  }

  public void write(Path file) throws IOException {
    Path abs = file.toAbsolutePath();
    if (abs.getParent() != null) {
      Files.createDirectories(abs.getParent());
    }
    JSON.writeValue(abs.toFile(), this);
  }
}
