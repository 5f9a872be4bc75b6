package io.lorafleet.runtime.engine;

import io.lorafleet.runtime.model.LoraAdapter;

/**
 * One generation request as the engine sees it: already tokenized, its adapter already loaded.
 *
 * @param requestId      unique among in-flight requests
 * @param promptTokenIds the prompt (not empty)
 * @param adapter        the LoRA adapter, or null for the base model
 * @param params         sampling and stopping
 * @param priority       its class in the scheduler (null reads as {@link PriorityClass#STANDARD})
 */
public record GenerateRequest(String requestId, int[] promptTokenIds, LoraAdapter adapter, SamplingParams params,
    PriorityClass priority) {

  public GenerateRequest {
    if (priority == null) {
      priority = PriorityClass.STANDARD;
    }
  }

  /** A request of the {@link PriorityClass#STANDARD} class. */
  public GenerateRequest(String requestId, int[] promptTokenIds, LoraAdapter adapter, SamplingParams params) {
    this(requestId, promptTokenIds, adapter, params, PriorityClass.STANDARD);
  }

  public String adapterId() {
    return adapter == null ? null : adapter.id();
  }
}
