package io.lorafleet.runtime.model;

import java.util.List;

/** All weights of a Llama model; {@code lmHead} is {@code embed} itself when embeddings are tied. */
public record LlamaWeights(Linear embed, List<LayerWeights> layers, float[] finalNorm, Linear lmHead) {
  public LlamaWeights {
    layers = List.copyOf(layers);
  }

  /** Bytes of weights one decode step reads (every matrix once; the embedding is a gather, not a read). */
  public long bytesReadPerStep() {
    long total = lmHead.bytes();
    for (LayerWeights l : layers) {
      total += l.q().bytes() + l.k().bytes() + l.v().bytes() + l.o().bytes()
          + l.gate().bytes() + l.up().bytes() + l.down().bytes()
          + 4L * (l.attnNorm().length + l.ffnNorm().length);
    }
    return total;
  }
}
