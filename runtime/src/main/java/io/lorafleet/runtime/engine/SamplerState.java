package io.lorafleet.runtime.engine;

import java.util.SplittableRandom;

/** A sequence's random stream: seeded once, so a request with a seed samples the same tokens in any batch. */
final class SamplerState {
  final long seed;
  final SplittableRandom random;

  SamplerState(long seed) {
    this.seed = seed;
    this.random = new SplittableRandom(seed);
  }
}
