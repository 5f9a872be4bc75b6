package io.lorafleet.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerTest {
  private final Sampler sampler = new Sampler();

  private Sampler.Choice sample(float[] logits, SamplingParams p, int[] context, long seed) {
    return sampler.sample(logits, 0, logits.length, p, context, context.length, new SplittableRandom(seed));
  }

  @Test
  void greedyPicksTheArgmaxAndTheLowestIdOnTies() {
    SamplingParams p = SamplingParams.greedy(1);
    assertEquals(2, sample(new float[] {0, 1, 3, 2}, p, new int[0], 1).tokenId());
    assertEquals(1, sample(new float[] {0, 3, 3, 2}, p, new int[0], 1).tokenId());
  }

  @Test
  void logprobIsLogSoftmaxOfTheRawLogits() {
    float[] logits = {1, 2, 3};
    var c = sample(logits, SamplingParams.builder().topLogprobs(3).build(), new int[0], 1);
    double z = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    assertEquals(3 - z, c.logprob(), 1e-6);
    assertEquals(3, c.top().size());
    assertEquals(2, c.top().get(0).tokenId());
    assertEquals(1 - z, c.top().get(2).logprob(), 1e-6);
  }

  @Test
  void repetitionPenaltyFollowsHuggingFace() {
    float[] scores = {2, -2, 1};
    Sampler.applyRepetitionPenalty(scores, 2f, new int[] {0, 1, 1}, 3);
    assertArrayEquals(new float[] {1, -4, 1}, scores);
    // With the penalty the greedy choice moves off the repeated token.
    SamplingParams p = SamplingParams.builder().repetitionPenalty(2.5).build();
    assertEquals(2, sample(new float[] {2, -2, 1}, p, new int[] {0}, 1).tokenId());
  }

  @Test
  void sameSeedSameTokensDifferentSeedDifferentTokens() {
    float[] logits = new float[50];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) Math.sin(i);
    }
    SamplingParams p = SamplingParams.builder().temperature(1.0).build();
    int[] a = new int[20];
    int[] b = new int[20];
    int[] c = new int[20];
    SplittableRandom ra = new SplittableRandom(7), rb = new SplittableRandom(7), rc = new SplittableRandom(8);
    for (int i = 0; i < 20; i++) {
      a[i] = sampler.sample(logits, 0, 50, p, new int[0], 0, ra).tokenId();
      b[i] = sampler.sample(logits, 0, 50, p, new int[0], 0, rb).tokenId();
      c[i] = sampler.sample(logits, 0, 50, p, new int[0], 0, rc).tokenId();
    }
    assertArrayEquals(a, b);
    assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c));
  }

  @Test
  void samplingFollowsTheSoftmaxAtTemperature() {
    float[] logits = {0, (float) Math.log(2), (float) Math.log(3), (float) Math.log(4)};
    SamplingParams p = SamplingParams.builder().temperature(1.0).build();
    SplittableRandom r = new SplittableRandom(42);
    int[] counts = new int[4];
    int n = 40000;
    for (int i = 0; i < n; i++) {
      counts[sampler.sample(logits, 0, 4, p, new int[0], 0, r).tokenId()]++;
    }
    for (int t = 0; t < 4; t++) {
      assertEquals((t + 1) / 10.0, counts[t] / (double) n, 0.01, "token " + t);
    }
    // Temperature 0.5 squares the odds: 1:4:9:16.
    p = SamplingParams.builder().temperature(0.5).build();
    counts = new int[4];
    for (int i = 0; i < n; i++) {
      counts[sampler.sample(logits, 0, 4, p, new int[0], 0, r).tokenId()]++;
    }
    assertEquals(16 / 30.0, counts[3] / (double) n, 0.01);
  }

  @Test
  void topKAndTopPRestrictTheCandidates() {
    float[] logits = {0, (float) Math.log(2), (float) Math.log(3), (float) Math.log(4)};
    SplittableRandom r = new SplittableRandom(3);
    SamplingParams k2 = SamplingParams.builder().temperature(1.0).topK(2).build();
    SamplingParams p05 = SamplingParams.builder().temperature(1.0).topP(0.5).build();
    SamplingParams p08 = SamplingParams.builder().temperature(1.0).topP(0.8).build();
    boolean[] seenK = new boolean[4], seen05 = new boolean[4], seen08 = new boolean[4];
    for (int i = 0; i < 2000; i++) {
      seenK[sampler.sample(logits, 0, 4, k2, new int[0], 0, r).tokenId()] = true;
      seen05[sampler.sample(logits, 0, 4, p05, new int[0], 0, r).tokenId()] = true;
      seen08[sampler.sample(logits, 0, 4, p08, new int[0], 0, r).tokenId()] = true;
    }
    assertArrayEquals(new boolean[] {false, false, true, true}, seenK);
    // 0.4 + 0.3 reaches 0.5: tokens 3 and 2.
    assertArrayEquals(new boolean[] {false, false, true, true}, seen05);
    // 0.4 + 0.3 + 0.2 reaches 0.8.
    assertArrayEquals(new boolean[] {false, true, true, true}, seen08);
  }

  @Test
  void topIndicesAreOrderedAndStable() {
    assertArrayEquals(new int[] {3, 1, 2}, Sampler.topIndices(new float[] {0, 5, 5, 9}, 3));
  }

  @Test
  void invalidParametersCannotBeMadeAndTheErrorNamesTheParameter() {
    var e = org.junit.jupiter.api.Assertions.assertThrows(io.lorafleet.runtime.errors.InvalidRequestException.class,
        () -> SamplingParams.builder().topP(0).build());
    assertTrue(e.getMessage().contains("top_p"));
    e = org.junit.jupiter.api.Assertions.assertThrows(io.lorafleet.runtime.errors.InvalidRequestException.class,
        () -> SamplingParams.builder().temperature(-1).build());
    assertTrue(e.getMessage().contains("temperature"));
    e = org.junit.jupiter.api.Assertions.assertThrows(io.lorafleet.runtime.errors.InvalidRequestException.class,
        () -> SamplingParams.builder().maxNewTokens(0).build());
    assertTrue(e.getMessage().contains("max_new_tokens"));
    e = org.junit.jupiter.api.Assertions.assertThrows(io.lorafleet.runtime.errors.InvalidRequestException.class,
        () -> new SamplingParams(4, 0, 0, 1, 1, null, java.util.List.of(""), java.util.Set.of(), false, 0, false,
            false, null));
    assertTrue(e.getMessage().contains("stop sequences"));
  }

  private static long[] allow(int n, int... ids) {
    long[] bits = new long[(n + 63) / 64];
    for (int id : ids) {
      bits[id >>> 6] |= 1L << id;
    }
    return bits;
  }

  @Test
  void aMaskLimitsEveryKindOfSamplingToTheAllowedTokens() {
    float[] logits = new float[130];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) Math.cos(i * 0.7) * 3;
    }
    int[] allowed = {5, 64, 65, 129};
    long[] bits = allow(logits.length, allowed);
    int best = 5;
    for (int id : allowed) {
      if (logits[id] > logits[best]) {
        best = id;
      }
    }
    var greedy = sampler.sample(logits, 0, logits.length, SamplingParams.greedy(1), new int[0], 0,
        new SplittableRandom(1), bits);
    assertEquals(best, greedy.tokenId());
    // The reported logprob is still the model's own (raw distribution).
    assertEquals(Sampler.logprob(logits, 0, logits.length, best), greedy.logprob(), 1e-6);
    java.util.Set<Integer> seen = new java.util.HashSet<>();
    for (SamplingParams p : List.of(SamplingParams.builder().temperature(1.5).build(),
        SamplingParams.builder().temperature(1).topK(2).build(),
        SamplingParams.builder().temperature(1).topP(0.5).build(),
        SamplingParams.builder().temperature(0.7).repetitionPenalty(1.3).build())) {
      for (long seed = 0; seed < 300; seed++) {
        int t = sampler.sample(logits, 0, logits.length, p, new int[] {64}, 1, new SplittableRandom(seed), bits)
            .tokenId();
        assertTrue(java.util.Arrays.stream(allowed).anyMatch(a -> a == t), "sampled " + t);
        seen.add(t);
      }
    }
    assertEquals(allowed.length, seen.size(), "every allowed token can come up");
    // top-k counts among the allowed tokens: k = 1 is greedy over them.
    for (long seed = 0; seed < 20; seed++) {
      assertEquals(best, sampler.sample(logits, 0, logits.length, SamplingParams.builder().temperature(1).topK(1)
          .build(), new int[0], 0, new SplittableRandom(seed), bits).tokenId());
    }
  }

  @Test
  void withoutAMaskTheResultIsUnchanged() {
    float[] logits = new float[70];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) Math.sin(i * 1.3);
    }
    long[] all = allow(70, java.util.stream.IntStream.range(0, 70).toArray());
    for (long seed = 0; seed < 50; seed++) {
      SamplingParams p = SamplingParams.builder().temperature(0.9).topK(10).topP(0.9).build();
      assertEquals(sample(logits, p, new int[0], seed).tokenId(),
          sampler.sample(logits, 0, 70, p, new int[0], 0, new SplittableRandom(seed), all).tokenId());
    }
  }
}
