package io.lorafleet.runtime.backend.cpu;

import io.lorafleet.runtime.backend.Backend;
import io.lorafleet.runtime.backend.BackendConfig;
import io.lorafleet.runtime.backend.BackendProvider;
import io.lorafleet.runtime.model.LlamaModel;
import java.util.Optional;

/** The CPU backend: always available, lowest priority. */
public final class CpuBackendProvider implements BackendProvider {
  @Override
  public String name() {
    return "cpu";
  }

  @Override
  public int priority() {
    return 0;
  }

  @Override
  public Optional<String> unavailableReason() {
    return Optional.empty();
  }

  @Override
  public Backend create(LlamaModel model, BackendConfig config) {
    return new CpuBackend(model, config.resolvedThreads(), config.quantize(), config.nativeGemm());
  }
}
