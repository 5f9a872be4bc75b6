package io.lorafleet.cuda;

import io.lorafleet.runtime.backend.Backend;
import io.lorafleet.runtime.backend.BackendConfig;
import io.lorafleet.runtime.backend.BackendProvider;
import io.lorafleet.runtime.model.LlamaModel;
import java.util.Optional;

/** The CUDA backend for {@code --backend cuda|auto}: preferred over the CPU when a usable device is present. */
public final class CudaBackendProvider implements BackendProvider {
  @Override
  public String name() {
    return "cuda";
  }

  @Override
  public int priority() {
    return 10;
  }

  @Override
  public Optional<String> unavailableReason() {
    return CudaProbe.probe().unavailableReason();
  }

  @Override
  public Backend create(LlamaModel model, BackendConfig config) {
    Gpu gpu = JCudaGpu.open(config.deviceIndex());
    try {
      return new CudaBackend(model, gpu, CudaConfig.fromSystemProperties(), config.quantize());
    } catch (RuntimeException e) {
      gpu.close();
      throw e;
    }
  }
}
