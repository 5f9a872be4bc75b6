package io.lorafleet.runtime.engine;

import io.lorafleet.runtime.backend.Backend;
import io.lorafleet.runtime.backend.BackendConfig;
import io.lorafleet.runtime.backend.Backends;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A model loaded to serve: the mapped weights ({@link LlamaModel}), its tokenizer, the backend they run on
 * and the {@link Engine} that runs requests on them, opened from a model directory and closed together.
 */
public final class LoadedModel implements AutoCloseable {
  private final LlamaModel model;
  private final HfTokenizer tokenizer;
  private final Backend backend;
  private final Engine engine;

  private LoadedModel(LlamaModel model, HfTokenizer tokenizer, Backend backend, Engine engine) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.backend = backend;
    this.engine = engine;
  }

  /** Loads {@code modelDir} and starts nothing: call {@link Engine#start()} or step it yourself. */
  public static LoadedModel open(Path modelDir, String backendName, BackendConfig backendConfig, EngineConfig config) {
    LlamaModel model = LlamaModel.load(modelDir);
    HfTokenizer tokenizer = null;
    Backend backend = null;
    try {
      tokenizer = HfTokenizer.load(modelDir);
      backend = Backends.create(backendName, model, backendConfig);
      Set<Integer> eos = new LinkedHashSet<>(model.eosTokenIds());
      eos.addAll(tokenizer.eosTokenIds());
      Engine engine = new Engine(backend, tokenizer, eos, config);
      return new LoadedModel(model, tokenizer, backend, engine);
    } catch (RuntimeException e) {
      if (backend != null) {
        backend.close();
      }
      if (tokenizer != null) {
        tokenizer.close();
      }
      model.close();
      throw e;
    }
  }

  /** Loads and validates a PEFT adapter against this model. */
  public LoraAdapter loadAdapter(String id, Path dir, int rankLimit) {
    return LoraAdapter.load(id, dir, model.config(), rankLimit);
  }

  /** The name clients use for the base model. */
  public String name() {
    return model.name();
  }

  public LlamaModel model() {
    return model;
  }

  public HfTokenizer tokenizer() {
    return tokenizer;
  }

  public Backend backend() {
    return backend;
  }

  public Engine engine() {
    return engine;
  }

  @Override
  public void close() {
    engine.close();
    backend.close();
    tokenizer.close();
    model.close();
  }
}
