package io.lorafleet.runtime.engine;

import io.lorafleet.runtime.model.LoraAdapter;

/**
 * One generation request as the engine sees it: already tokenized, its adapter already loaded.
 *
 * @param requestId      unique among in-flight requests
 * @param promptTokenIds the prompt (not empty)
 * @param adapter        the LoRA adapter, or null for the base model
 * @param params         sampling and stopping
 */
public record GenerateRequest(String requestId, int[] promptTokenIds, LoraAdapter adapter, SamplingParams params) {
  public String adapterId() {
    return adapter == null ? null : adapter.id();
  }
}
