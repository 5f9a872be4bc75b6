package io.lorafleet.runtime.backend;

import io.lorafleet.runtime.model.LlamaModel;
import java.util.Optional;

/**
 * A kind of backend, found with {@link java.util.ServiceLoader} so that modules on the class path (the
 * CUDA backend) plug in without the runtime depending on them.
 */
public interface BackendProvider {
  /** The name used by {@code --backend}, e.g. "cpu" or "cuda". */
  String name();

  /** Higher is preferred by {@code --backend auto} among available providers. */
  int priority();

  /** Empty when this backend can run here; otherwise a one-line reason (no driver, no device...). */
  Optional<String> unavailableReason();

  /** Creates a backend for {@code model} (the model stays owned by the caller). */
  Backend create(LlamaModel model, BackendConfig config);
}
