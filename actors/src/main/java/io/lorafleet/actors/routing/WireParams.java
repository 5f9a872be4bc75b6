package io.lorafleet.actors.routing;

import io.lorafleet.actors.serialization.CrossNode;
import io.lorafleet.runtime.engine.SamplingParams;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** {@link SamplingParams} as they cross nodes (arrays, no boxed nulls). */
public record WireParams(int maxNewTokens, double temperature, int topK, double topP, double repetitionPenalty,
    boolean hasSeed, long seed, String[] stop, int[] stopTokenIds, boolean ignoreEos, int topLogprobs,
    boolean promptLogprobs, boolean skipSpecialTokens) implements CrossNode {

  public static WireParams of(SamplingParams p) {
    return new WireParams(p.maxNewTokens(), p.temperature(), p.topK(), p.topP(), p.repetitionPenalty(),
        p.seed() != null, p.seed() == null ? 0 : p.seed(), p.stop().toArray(String[]::new),
        p.stopTokenIds().stream().mapToInt(Integer::intValue).sorted().toArray(), p.ignoreEos(), p.topLogprobs(),
        p.promptLogprobs(), p.skipSpecialTokens());
  }

  public SamplingParams toParams() {
    Set<Integer> stopIds = Arrays.stream(stopTokenIds).boxed().collect(Collectors.toSet());
    return new SamplingParams(maxNewTokens, temperature, topK, topP, repetitionPenalty, hasSeed ? seed : null,
        List.of(stop), stopIds, ignoreEos, topLogprobs, promptLogprobs, skipSpecialTokens);
  }
}
