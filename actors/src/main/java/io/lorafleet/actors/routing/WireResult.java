package io.lorafleet.actors.routing;

import io.lorafleet.actors.serialization.CrossNode;
import io.lorafleet.runtime.engine.FinishReason;
import io.lorafleet.runtime.engine.GenerationResult;
import io.lorafleet.runtime.engine.TopLogprob;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link GenerationResult} as it crosses nodes. Its nanosecond timestamps are the serving node's clock; the
 * receiving node replaces them with its own on the way in.
 */
public record WireResult(String requestId, String adapterId, int[] promptTokenIds, int[] tokenIds, String text,
    float[] logprobs, int[][] topIds, float[][] topLogprobs, float[] promptLogprobs, FinishReason finishReason,
    long seed) implements CrossNode {

  public static WireResult of(GenerationResult r) {
    int n = r.topLogprobs().size();
    int[][] ids = new int[n][];
    float[][] lps = new float[n][];
    for (int i = 0; i < n; i++) {
      List<TopLogprob> t = r.topLogprobs().get(i);
      ids[i] = new int[t.size()];
      lps[i] = new float[t.size()];
      for (int k = 0; k < t.size(); k++) {
        ids[i][k] = t.get(k).tokenId();
        lps[i][k] = t.get(k).logprob();
      }
    }
    return new WireResult(r.requestId(), r.adapterId(), r.promptTokenIds(), r.tokenIds(), r.text(), r.logprobs(), ids,
        lps, r.promptLogprobs(), r.finishReason(), r.seed());
  }

  public GenerationResult toResult(String localRequestId, long arrivalNanos, long firstTokenNanos) {
    List<List<TopLogprob>> tops = new ArrayList<>(topIds.length);
    for (int i = 0; i < topIds.length; i++) {
      tops.add(WireToken.tops(topIds[i], topLogprobs[i]));
    }
    return new GenerationResult(localRequestId, adapterId, promptTokenIds, tokenIds, text, logprobs, tops,
        promptLogprobs, finishReason, seed, arrivalNanos, firstTokenNanos, System.nanoTime());
  }
}
