package io.lorafleet.actors.http;

import io.lorafleet.runtime.engine.PriorityClass;
import io.lorafleet.runtime.engine.SamplingParams;

/**
 * A generation as any API asks for it, parsed and checked: what the {@link GenerationGateway} runs. The
 * per-API codecs make it from their request bodies with the {@link RequestMapping}.
 *
 * @param adapter   the adapter, or {@link AdapterChoice#BASE}
 * @param prompt    the prompt's token ids (not empty)
 * @param params    sampling and stopping (valid by construction)
 * @param streaming whether tokens go to the client as they come (a request that does not stream can be
 *                  retried on another node even after its first tokens)
 * @param priority  the class the request asked for ({@code priority} field), or null when it did not say:
 *                  it then runs as {@link PriorityClass#STANDARD} ({@link #effectivePriority})
 */
record GenerationRequest(AdapterChoice adapter, int[] prompt, SamplingParams params, boolean streaming,
    PriorityClass priority) {

  /** A request that does not name a class. */
  GenerationRequest(AdapterChoice adapter, int[] prompt, SamplingParams params, boolean streaming) {
    this(adapter, prompt, params, streaming, null);
  }

  /** The class it runs in: the one asked for, else standard. */
  PriorityClass effectivePriority() {
    return priority == null ? PriorityClass.STANDARD : priority;
  }

  /** The same request in another class (a tenant's class: {@link PriorityClass#resolve}). */
  GenerationRequest withPriority(PriorityClass p) {
    return new GenerationRequest(adapter, prompt, params, streaming, p);
  }
}
