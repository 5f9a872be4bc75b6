package io.lorafleet.actors.routing;

import io.lorafleet.actors.serialization.CrossNode;
import io.lorafleet.runtime.constrain.OutputConstraint;
import io.lorafleet.runtime.engine.PriorityClass;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.errors.InvalidRequestException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@link SamplingParams} as they cross nodes (arrays, no boxed nulls), with the request's {@link PriorityClass}.
 * An output constraint travels as its kind's wire name ({@code ""} for none) and its source text; the serving
 * node compiles it again (its own cache). The priority travels as its wire name, {@code ""} for standard (what a
 * node of protocol version 1, which does not send it, means); a name this node does not know reads as standard.
 */
public record WireParams(int maxNewTokens, double temperature, int topK, double topP, double repetitionPenalty,
    boolean hasSeed, long seed, String[] stop, int[] stopTokenIds, boolean ignoreEos, int topLogprobs,
    boolean promptLogprobs, boolean skipSpecialTokens, String constraintKind, String constraintSource,
    String priority) implements CrossNode {

  /** Parameters of a standard-class request. */
  public static WireParams of(SamplingParams p) {
    return of(p, PriorityClass.STANDARD);
  }

  public static WireParams of(SamplingParams p, PriorityClass priority) {
    return new WireParams(p.maxNewTokens(), p.temperature(), p.topK(), p.topP(), p.repetitionPenalty(),
        p.seed() != null, p.seed() == null ? 0 : p.seed(), p.stop().toArray(String[]::new),
        p.stopTokenIds().stream().mapToInt(Integer::intValue).sorted().toArray(), p.ignoreEos(), p.topLogprobs(),
        p.promptLogprobs(), p.skipSpecialTokens(),
        p.constraint() == null ? "" : p.constraint().kind().wireName(),
        p.constraint() == null ? "" : p.constraint().source(),
        priority == null || priority == PriorityClass.STANDARD ? "" : priority.wireName());
  }

  /** The request's class ({@code ""} and unknown names: standard). */
  public PriorityClass priorityClass() {
    return PriorityClass.fromWire(priority);
  }

  /** The same parameters with the priority a node of protocol version 1 reads: none (standard). */
  public WireParams withoutPriority() {
    return new WireParams(maxNewTokens, temperature, topK, topP, repetitionPenalty, hasSeed, seed, stop, stopTokenIds,
        ignoreEos, topLogprobs, promptLogprobs, skipSpecialTokens, constraintKind, constraintSource, "");
  }

  public SamplingParams toParams() {
    Set<Integer> stopIds = Arrays.stream(stopTokenIds).boxed().collect(Collectors.toSet());
    return new SamplingParams(maxNewTokens, temperature, topK, topP, repetitionPenalty, hasSeed ? seed : null,
        List.of(stop), stopIds, ignoreEos, topLogprobs, promptLogprobs, skipSpecialTokens,
        constraint());
  }

  private OutputConstraint constraint() {
    if (constraintKind.isEmpty()) {
      return null;
    }
    OutputConstraint.Kind kind = OutputConstraint.Kind.ofWireName(constraintKind);
    if (kind == null) {
      throw new InvalidRequestException("unknown output constraint kind \"" + constraintKind + "\"");
    }
    return new OutputConstraint(kind, constraintSource);
  }
}
