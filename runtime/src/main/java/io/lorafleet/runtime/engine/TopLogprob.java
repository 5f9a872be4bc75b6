package io.lorafleet.runtime.engine;

/** One of the most likely tokens at a step, with its log-probability under the model. */
public record TopLogprob(int tokenId, float logprob) {}
