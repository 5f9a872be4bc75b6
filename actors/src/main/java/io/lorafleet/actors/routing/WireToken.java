package io.lorafleet.actors.routing;

import io.lorafleet.actors.serialization.CrossNode;
import io.lorafleet.runtime.engine.FinishReason;
import io.lorafleet.runtime.engine.TokenOutput;
import io.lorafleet.runtime.engine.TopLogprob;
import java.util.ArrayList;
import java.util.List;

/** A {@link TokenOutput} as it crosses nodes; {@code finishReason} is null but on the last token. */
public record WireToken(int index, int tokenId, String text, float logprob, int[] topIds, float[] topLogprobs,
    boolean special, FinishReason finishReason) implements CrossNode {

  public static WireToken of(TokenOutput t) {
    int[] ids = new int[t.top().size()];
    float[] lps = new float[ids.length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = t.top().get(i).tokenId();
      lps[i] = t.top().get(i).logprob();
    }
    return new WireToken(t.index(), t.tokenId(), t.text(), t.logprob(), ids, lps, t.special(), t.finishReason());
  }

  public TokenOutput toToken() {
    return new TokenOutput(index, tokenId, text, logprob, tops(topIds, topLogprobs), special, finishReason);
  }

  static List<TopLogprob> tops(int[] ids, float[] lps) {
    List<TopLogprob> out = new ArrayList<>(ids.length);
    for (int i = 0; i < ids.length; i++) {
      out.add(new TopLogprob(ids[i], lps[i]));
    }
    return out;
  }
}
