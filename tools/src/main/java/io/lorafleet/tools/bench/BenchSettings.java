package io.lorafleet.tools.bench;

import io.lorafleet.runtime.backend.BackendConfig;
import io.lorafleet.runtime.engine.EngineConfig;

/**
 * What one benchmark run measures and with which engine.
 *
 * @param batchSize       requests in the batched phases (32 for the report's {@code batch32} keys)
 * @param decodeTokens    decode steps timed per phase (each request generates one more token, in prefill)
 * @param promptTokens    prompt length of the decode phases
 * @param prefillTokens   prompt length of the prefill phase
 * @param bandwidthBytes  buffer size of the memory-bandwidth probe
 * @param bandwidthReps   repetitions of the probe (the best counts)
 * @param backend         backend name ({@code auto}, {@code cpu}, ...)
 * @param backendOptions  backend threads and device
 * @param engineConfig    engine sizing
 */
public record BenchSettings(
    int batchSize, int decodeTokens, int promptTokens, int prefillTokens, long bandwidthBytes, int bandwidthReps,
    String backend, BackendConfig backendOptions, EngineConfig engineConfig) {

  public BenchSettings {
    if (batchSize < 1 || decodeTokens < 1 || promptTokens < 1 || prefillTokens < 1 || bandwidthBytes < 1
        || bandwidthReps < 1) {
      throw new IllegalArgumentException("benchmark sizes must be positive: " + this);
    }
  }
}
