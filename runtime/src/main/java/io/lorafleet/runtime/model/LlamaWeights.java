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

  /**
   * Bytes of weights one decode step reads when the projections are stored as {@code q} says: int8 codes
   * plus a float32 scale per output for every quantized matrix ({@link Quantization#quantizesHead} decides
   * for {@code lm_head}).
   */
  public long bytesReadPerStep(Quantization q) {
    if (q == Quantization.NONE) {
      return bytesReadPerStep();
    }
    long total = q.quantizesHead(this) ? Int8Quantizer.bytes(lmHead) : lmHead.bytes();
    for (LayerWeights l : layers) {
      total += Int8Quantizer.bytes(l.q()) + Int8Quantizer.bytes(l.k()) + Int8Quantizer.bytes(l.v())
          + Int8Quantizer.bytes(l.o()) + Int8Quantizer.bytes(l.gate()) + Int8Quantizer.bytes(l.up())
          + Int8Quantizer.bytes(l.down()) + 4L * (l.attnNorm().length + l.ffnNorm().length);
    }
    return total;
  }
}
