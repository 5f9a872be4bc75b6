package io.lorafleet.runtime.engine;

import java.util.List;

/**
 * The whole outcome of a request.
 *
 * @param requestId       the request's id
 * @param adapterId       the adapter used, or null for the base model
 * @param promptTokenIds  the prompt as token ids
 * @param tokenIds        generated tokens (an end-of-sequence token that finished the request included)
 * @param text            generated text (stop sequences and the final end-of-sequence token excluded)
 * @param logprobs        log-probability of each generated token
 * @param topLogprobs     per generated token, the most likely alternatives (empty lists unless requested)
 * @param promptLogprobs  log-probability of each prompt token given the ones before it (first is NaN), or null
 * @param finishReason    why generation stopped
 * @param seed            the sampling seed used
 * @param arrivalNanos    {@link System#nanoTime()} at submission
 * @param firstTokenNanos at the first generated token
 * @param finishNanos     at finish
 */
public record GenerationResult(
    String requestId,
    String adapterId,
    int[] promptTokenIds,
    int[] tokenIds,
    String text,
    float[] logprobs,
    List<List<TopLogprob>> topLogprobs,
    float[] promptLogprobs,
    FinishReason finishReason,
    long seed,
    long arrivalNanos,
    long firstTokenNanos,
    long finishNanos) {}
