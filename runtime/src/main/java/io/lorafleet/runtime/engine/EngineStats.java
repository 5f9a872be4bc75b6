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
 * @param promptTokens      prompt tokens run through the model (recomputation included, prefix-cache hits not)
 * @param generatedTokens   tokens generated
 * @param preemptions       sequences preempted
 * @param lastStepTokens    tokens in the last step
 * @param lastStepNanos     duration of the last step
 * @param lastSampleNanos   of that, the part after the forward pass: sampling (constraint masks included),
 *                          stop checks and handing out the tokens
 * @param kvBlocksCached    KV blocks registered in the prefix cache (held by sequences or evictable)
 * @param kvBlocksEvictable of those, the ones no sequence holds (free for reuse, least recently used first)
 * @param kvBlocksEvicted   cached blocks reclaimed for other content since start
 * @param prefixQueriedBase prompt tokens of base-model requests looked up in the prefix cache at admission
 * @param prefixHitBase     of those, tokens found cached (not computed)
 * @param prefixQueriedAdapter prompt tokens of adapter requests looked up in the prefix cache
 * @param prefixHitAdapter  of those, tokens found cached
 * @param priority          the same per priority class (waiting, running, admitted, preempted, promoted)
 */
public record EngineStats(
    int waiting, int running, int kvBlocksUsed, int kvBlocksTotal, int adaptersLoaded, long steps, long promptTokens,
    long generatedTokens, long preemptions, int lastStepTokens, long lastStepNanos, long lastSampleNanos,
    int kvBlocksCached, int kvBlocksEvictable, long kvBlocksEvicted, long prefixQueriedBase, long prefixHitBase, long prefixQueriedAdapter,
    long prefixHitAdapter, PriorityStats priority) {}
