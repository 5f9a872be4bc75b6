package io.lorafleet.runtime.engine;

import io.lorafleet.runtime.backend.Backend;
import io.lorafleet.runtime.backend.BackendOptions;
import io.lorafleet.runtime.backend.Backends;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * An engine with everything it runs on, opened from a model directory and closed together: the mapped
 * model, its tokenizer, a backend and the {@link Engine}.
 */
public final class LocalEngine implements AutoCloseable {
  private final LlamaModel model;
  private final HfTokenizer tokenizer;
  private final Backend backend;
  private final Engine engine;

  private LocalEngine(LlamaModel model, HfTokenizer tokenizer, Backend backend, Engine engine) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.backend = backend;
    this.engine = engine;
  }

  /** Loads {@code modelDir} and starts nothing: call {@link Engine#start()} or step it yourself. */
  public static LocalEngine open(Path modelDir, String backendName, BackendOptions backendOptions, EngineConfig config) {
    LlamaModel model = LlamaModel.load(modelDir);
    HfTokenizer tokenizer = null;
    Backend backend = null;
    try {
      tokenizer = HfTokenizer.load(modelDir);
      backend = Backends.create(backendName, model, backendOptions);
      Set<Integer> eos = new LinkedHashSet<>(model.eosTokenIds());
      eos.addAll(tokenizer.eosTokenIds());
      Engine engine = new Engine(backend, tokenizer, eos, config);
      return new LocalEngine(model, tokenizer, backend, engine);
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
