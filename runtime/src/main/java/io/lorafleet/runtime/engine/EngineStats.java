package io.lorafleet.runtime.engine;

/**
 * A snapshot of the engine's load, safe to read from any thread.
 *
 * @param waiting           requests queued (not yet running)
 * @param running           sequences in the running batch
 * @param kvBlocksUsed      KV blocks held by sequences
 * @param kvBlocksTotal     KV blocks in the pool
 * @param adaptersLoaded    adapters resident in the backend
 * @param steps             steps run since start
 * @param promptTokens      prompt tokens run through the model (recomputation included)
 * @param generatedTokens   tokens generated
 * @param preemptions       sequences preempted
 * @param lastStepTokens    tokens in the last step
 * @param lastStepNanos     duration of the last step
 * @param lastSampleNanos   of that, the part after the forward pass: sampling (constraint masks included),
 *                          stop checks and handing out the tokens
 */
public record EngineStats(
    int waiting, int running, int kvBlocksUsed, int kvBlocksTotal, int adaptersLoaded, long steps, long promptTokens,
    long generatedTokens, long preemptions, int lastStepTokens, long lastStepNanos, long lastSampleNanos) {}
