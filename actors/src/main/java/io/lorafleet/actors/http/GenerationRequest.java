package io.lorafleet.actors.http;

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
 */
record GenerationRequest(AdapterChoice adapter, int[] prompt, SamplingParams params, boolean streaming) {}
