package io.lorafleet.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.backend.BackendConfig;
import io.lorafleet.runtime.format.DType;
import io.lorafleet.runtime.format.SafetensorsFile;
import io.lorafleet.runtime.format.SafetensorsWriter;
import io.lorafleet.runtime.format.TensorView;
import io.lorafleet.runtime.model.LoraAdapter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Automatic prefix caching on the real CPU engine: the same results (tokens, chosen logprobs and the top-20
 * logprobs, bit for bit) as an engine without it, fewer prompt tokens computed, blocks keyed by adapter.
 * Blocks of 4 tokens so that the fixture prompts span many blocks.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PrefixCachingTest {
  private static final int BS = 4;
  private static final EngineConfig BASE_CONFIG = EngineConfig.DEFAULTS.toBuilder().blockSize(BS).numKvBlocks(3000)
      .maxNumSeqs(16).maxBatchTokens(128).build();

  private LoadedModel cached;
  private LoadedModel uncached;
  private final Map<String, LoraAdapter> cachedAdapters = new HashMap<>();
  private final Map<String, LoraAdapter> uncachedAdapters = new HashMap<>();
  private int ids;

  @BeforeAll
  void open() {
    cached = LoadedModel.open(Fixtures.model(), "cpu", new BackendConfig(2, 0), BASE_CONFIG.withPrefixCaching(true));
    uncached = LoadedModel.open(Fixtures.model(), "cpu", new BackendConfig(2, 0), BASE_CONFIG.withPrefixCaching(false));
    for (String name : Fixtures.adapterNames()) {
      cachedAdapters.put(name, cached.loadAdapter(name, Fixtures.adapter(name), 0));
      uncachedAdapters.put(name, uncached.loadAdapter(name, Fixtures.adapter(name), 0));
    }
  }

  @AfterAll
  void close() {
    cached.close();
    uncached.close();
  }

  private static SamplingParams params() {
    return SamplingParams.builder().maxNewTokens(12).ignoreEos(true).topLogprobs(20).build();
  }

  /** One request to run on both engines: its prompt and adapter name (null: base). */
  private record Job(int[] prompt, String adapter) {}

  private GenerateRequest request(LoadedModel on, Job j) {
    Map<String, LoraAdapter> own = on == cached ? cachedAdapters : uncachedAdapters;
    return new GenerateRequest("r" + ids++, j.prompt(), j.adapter() == null ? null : own.get(j.adapter()), params());
  }

  /** Runs the waves one after the other (a wave's requests batched together) on {@code on}. */
  private List<GenerationResult> run(LoadedModel on, List<List<Job>> waves) {
    List<GenerationResult> out = new ArrayList<>();
    for (List<Job> wave : waves) {
      List<GenerateRequest> reqs = wave.stream().map(j -> request(on, j)).toList();
      Map<String, GenerationResult> got = EngineParityTest.runAll(on.engine(), reqs);
      for (GenerateRequest r : reqs) {
        out.add(got.get(r.requestId()));
      }
    }
    return out;
  }

  private static void assertSameResults(List<GenerationResult> expected, List<GenerationResult> actual) {
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      GenerationResult e = expected.get(i);
      GenerationResult a = actual.get(i);
      String what = "request " + i + " (adapter " + e.adapterId() + ", " + e.promptTokenIds().length + " prompt tokens)";
      assertArrayEquals(e.tokenIds(), a.tokenIds(), what);
      assertArrayEquals(e.logprobs(), a.logprobs(), 0f, what);
      assertEquals(e.topLogprobs(), a.topLogprobs(), what + ": top-20 logprobs");
      assertEquals(e.text(), a.text(), what);
    }
  }

  private static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void everyFixtureAdapterGivesTheSameResultsWithRepeatsAndSharedPrefixes() {
    List<String> adapters = new ArrayList<>();
    adapters.add(null);
    adapters.addAll(Fixtures.adapterNames());
    int[] system = Fixtures.promptIds(2); // 316 tokens: a long shared "system prompt"
    List<Job> first = new ArrayList<>();
    List<Job> second = new ArrayList<>();
    for (String a : adapters) {
      for (int p = 0; p < Fixtures.numPrompts(); p++) {
        first.add(new Job(Fixtures.promptIds(p), a));
      }
      // Repeats, and other questions after the shared prefix, in one batch.
      second.add(new Job(Fixtures.promptIds(1), a));
      second.add(new Job(Fixtures.promptIds(3), a));
      second.add(new Job(concat(system, Fixtures.promptIds(0)), a));
      second.add(new Job(concat(system, Fixtures.promptIds(5)), a));
    }
    EngineStats before = cached.engine().stats();
    List<GenerationResult> withCache = run(cached, List.of(first, second));
    EngineStats after = cached.engine().stats();
    List<GenerationResult> without = run(uncached, List.of(first, second));
    assertSameResults(without, withCache);

    long hitBase = after.prefixHitBase() - before.prefixHitBase();
    long hitAdapter = after.prefixHitAdapter() - before.prefixHitAdapter();
    assertTrue(hitBase > 300, "base requests hit: " + hitBase);
    assertTrue(hitAdapter > 300L * Fixtures.adapterNames().size(), "adapter requests hit: " + hitAdapter);
    long queried = after.prefixQueriedBase() + after.prefixQueriedAdapter() - before.prefixQueriedBase()
        - before.prefixQueriedAdapter();
    long promptTokens = withCache.stream().mapToLong(r -> r.promptTokenIds().length).sum();
    assertEquals(promptTokens, queried, "every admission looks its prompt up once");
    assertEquals(promptTokens - hitBase - hitAdapter, after.promptTokens() - before.promptTokens(),
        "prompt tokens computed = prompt tokens - hits");
    assertEquals(0, after.kvBlocksUsed(), "no block held after the runs");
    assertTrue(after.kvBlocksCached() > 0 && after.kvBlocksCached() == after.kvBlocksEvictable(), after.toString());
  }

  @Test
  void aHitSkipsTheCachedPartOfThePrefillAndStillComputesTheLastToken() {
    // A prompt of exactly 20 blocks: the last block cannot come from the cache (its last token's logits give
    // the first output token), so the repeat computes 4 tokens.
    int[] prompt = IntStream.range(0, 20 * BS).map(i -> 3 + (i * 37) % 1000).toArray();
    Job job = new Job(prompt, null);
    EngineStats s0 = cached.engine().stats();
    List<GenerationResult> once = run(cached, List.of(List.of(job)));
    EngineStats s1 = cached.engine().stats();
    List<GenerationResult> again = run(cached, List.of(List.of(job)));
    EngineStats s2 = cached.engine().stats();
    assertEquals(80, s1.promptTokens() - s0.promptTokens());
    assertEquals(4, s2.promptTokens() - s1.promptTokens(), "only the last block is computed on a hit");
    assertEquals(76, s2.prefixHitBase() - s1.prefixHitBase());
    assertSameResults(run(uncached, List.of(List.of(job))), again);
    assertSameResults(once, again);

    // One token longer: all 20 blocks come from the cache, one token is computed.
    Job longer = new Job(concat(prompt, new int[] {42}), null);
    EngineStats s3 = cached.engine().stats();
    List<GenerationResult> l = run(cached, List.of(List.of(longer)));
    assertEquals(1, cached.engine().stats().promptTokens() - s3.promptTokens());
    assertSameResults(run(uncached, List.of(List.of(longer))), l);
  }

  @Test
  void differentAdaptersWithTheSamePromptDoNotShareBlocks() {
    int[] prompt = IntStream.range(0, 60).map(i -> 5 + (i * 53) % 900).toArray();
    for (String[] pair : new String[][] {{"adapter-qv-r8", "adapter-mlp-r8"}, {null, "adapter-mlp-r8"},
        {"adapter-kod-r8", null}}) {
      EngineStats s0 = cached.engine().stats();
      List<GenerationResult> a = run(cached, List.of(List.of(new Job(prompt, pair[0]))));
      EngineStats s1 = cached.engine().stats();
      List<GenerationResult> b = run(cached, List.of(List.of(new Job(prompt, pair[1]))));
      EngineStats s2 = cached.engine().stats();
      String what = Arrays.toString(pair);
      assertEquals(0, hits(s2) - hits(s1), what + ": the second adapter found nothing cached");
      assertEquals(60, s2.promptTokens() - s1.promptTokens(), what + ": and computed its whole prompt");
      assertEquals(s1.kvBlocksCached() - s0.kvBlocksCached(), s2.kvBlocksCached() - s1.kvBlocksCached(),
          what + ": each registered its own blocks");
      assertSameResults(run(uncached, List.of(List.of(new Job(prompt, pair[0])), List.of(new Job(prompt, pair[1])))),
          List.of(a.getFirst(), b.getFirst()));
      prompt[0]++; // a fresh prompt for the next pair
    }
  }

  private static long hits(EngineStats s) {
    return s.prefixHitBase() + s.prefixHitAdapter();
  }

  /**
   * Writes an adapter with LoRA on q_proj of the last layer only (copied from adapter-qv-r8): it changes the
   * logits but no layer's K/V.
   */
  private static Path lastLayerQueryAdapter(Path dir, float extraScale) throws IOException {
    Files.createDirectories(dir);
    int last = Fixtures.reference().get("config").get("num_hidden_layers").asInt() - 1;
    Path src = Fixtures.adapter("adapter-qv-r8");
    String cfg = Files.readString(src.resolve("adapter_config.json"))
        .replace("\"layers_to_transform\": null", "\"layers_to_transform\": [" + last + "]")
        .replaceAll("\"target_modules\": \\[[^\\]]*\\]", "\"target_modules\": [\"q_proj\"]");
    Files.writeString(dir.resolve("adapter_config.json"), cfg);
    try (SafetensorsFile st = SafetensorsFile.openAdapter(src.resolve(LoraAdapter.WEIGHTS_FILE))) {
      SafetensorsWriter w = new SafetensorsWriter(dir.resolve(LoraAdapter.WEIGHTS_FILE), Map.of());
      for (TensorView t : new java.util.TreeMap<>(st.tensors()).values()) {
        if (t.name().contains("layers." + last + ".") && t.name().contains("q_proj")) {
          float[] v = t.toFloatArray();
          if (t.name().contains("lora_B")) {
            for (int i = 0; i < v.length; i++) {
              v[i] *= extraScale;
            }
          }
          w.add(t.name(), DType.F32, t.shape(), v);
        }
      }
      w.close();
    }
    return dir;
  }

  @Test
  void anAdapterThatLeavesEveryKvAsTheBaseSharesTheBaseBlocks(@TempDir Path tmp) throws IOException {
    Path dir = lastLayerQueryAdapter(tmp.resolve("last-q"), 1f);
    LoraAdapter lastQ = cached.loadAdapter("last-q", dir, 0);
    LoraAdapter lastQOff = uncached.loadAdapter("last-q", dir, 0);
    assertTrue(lastQ.keepsBaseKv());
    for (String name : Fixtures.adapterNames()) {
      assertFalse(cachedAdapters.get(name).keepsBaseKv(), name + " changes some layer's K/V");
    }
    cachedAdapters.put("last-q", lastQ);
    uncachedAdapters.put("last-q", lastQOff);
    int[] prompt = IntStream.range(0, 61).map(i -> 11 + (i * 71) % 1000).toArray();
    List<List<Job>> waves = List.of(List.of(new Job(prompt, null)), List.of(new Job(prompt, "last-q")));
    EngineStats s0 = cached.engine().stats();
    List<GenerationResult> withCache = run(cached, waves);
    EngineStats s1 = cached.engine().stats();
    assertEquals(60, s1.prefixHitAdapter() - s0.prefixHitAdapter(), "the adapter request reused the base blocks");
    List<GenerationResult> without = run(uncached, waves);
    assertSameResults(without, withCache);
    assertNotEquals(Arrays.toString(withCache.get(0).logprobs()), Arrays.toString(withCache.get(1).logprobs()),
        "the adapter does change the output");
  }

  @Test
  void anAdapterRegisteredAgainWithOtherWeightsDoesNotHitTheOldBlocks(@TempDir Path tmp) throws IOException {
    Path src = Fixtures.adapter("adapter-qv-r8");
    LoraAdapter v1 = cached.loadAdapter("re", src, 0);
    Path changed = tmp.resolve("re2");
    Fixtures.copyTree(src, changed);
    Files.writeString(changed.resolve("adapter_config.json"),
        Files.readString(changed.resolve("adapter_config.json")).replace("\"lora_alpha\": 16", "\"lora_alpha\": 8"));
    LoraAdapter v2 = cached.loadAdapter("re", changed, 0);
    assertNotEquals(v1.contentDigest(), v2.contentDigest());
    assertEquals(v1.contentDigest(), cached.loadAdapter("re", src, 0).contentDigest(), "same weights, same digest");
    int[] prompt = IntStream.range(0, 40).map(i -> 9 + (i * 29) % 1000).toArray();
    cachedAdapters.put("re", v1);
    run(cached, List.of(List.of(new Job(prompt, "re"))));
    cachedAdapters.put("re", v2);
    EngineStats s0 = cached.engine().stats();
    List<GenerationResult> got = run(cached, List.of(List.of(new Job(prompt, "re"))));
    assertEquals(0, hits(cached.engine().stats()) - hits(s0));
    uncachedAdapters.put("re", uncached.loadAdapter("re", changed, 0));
    assertSameResults(run(uncached, List.of(List.of(new Job(prompt, "re")))), got);
  }

  @Test
  void evictionUnderMemoryPressureKeepsResultsExact() {
    // 60 blocks of 4 tokens: the distinct prompts below need far more, so cached blocks are reclaimed.
    EngineConfig small = BASE_CONFIG.toBuilder().numKvBlocks(60).maxNumSeqs(4).maxBatchTokens(32).build();
    try (LoadedModel tight = LoadedModel.open(Fixtures.model(), "cpu", new BackendConfig(2, 0), small);
        LoadedModel plain = LoadedModel.open(Fixtures.model(), "cpu", new BackendConfig(2, 0),
            small.withPrefixCaching(false))) {
      LoraAdapter a = tight.loadAdapter("adapter-all-r4", Fixtures.adapter("adapter-all-r4"), 0);
      LoraAdapter b = plain.loadAdapter("adapter-all-r4", Fixtures.adapter("adapter-all-r4"), 0);
      List<int[]> prompts = new ArrayList<>();
      for (int k = 0; k < 6; k++) {
        final int kk = k;
        prompts.add(IntStream.range(0, 70 + k).map(i -> 1 + (i * 13 + kk * 101) % 1000).toArray());
      }
      Map<String, GenerationResult> got = new LinkedHashMap<>();
      Map<String, GenerationResult> want = new LinkedHashMap<>();
      int n = 0;
      for (int round = 0; round < 3; round++) {
        for (int k = 0; k < prompts.size(); k++) {
          for (boolean adapter : new boolean[] {false, true}) {
            String id = "e" + n++;
            got.putAll(EngineParityTest.runAll(tight.engine(), List.of(new GenerateRequest(id, prompts.get(k),
                adapter ? a : null, params()))));
            want.putAll(EngineParityTest.runAll(plain.engine(), List.of(new GenerateRequest(id, prompts.get(k),
                adapter ? b : null, params()))));
          }
        }
      }
      // And all at once, so that running sequences and cached blocks compete (preemption included).
      List<GenerateRequest> together = new ArrayList<>();
      List<GenerateRequest> togetherPlain = new ArrayList<>();
      for (int k = 0; k < prompts.size(); k++) {
        together.add(new GenerateRequest("t" + k, prompts.get(k), k % 2 == 0 ? a : null, params()));
        togetherPlain.add(new GenerateRequest("t" + k, prompts.get(k), k % 2 == 0 ? b : null, params()));
      }
      got.putAll(EngineParityTest.runAll(tight.engine(), together));
      want.putAll(EngineParityTest.runAll(plain.engine(), togetherPlain));
      assertSameResults(List.copyOf(want.values()), List.copyOf(got.values()));
      EngineStats st = tight.engine().stats();
      assertTrue(st.kvBlocksEvicted() > 0, "cached blocks were reclaimed: " + st);
      assertTrue(hits(st) > 0, "and some were still found: " + st);
      assertEquals(0, st.kvBlocksUsed(), st.toString());
    }
  }

  @Test
  void aSequenceCancelledMidPrefillLeavesNoHalfFilledBlockInTheCache() {
    // Chunks of 6 tokens over blocks of 4: after one step the sequence has one full block and half of another.
    EngineConfig c = BASE_CONFIG.toBuilder().numKvBlocks(100).maxBatchTokens(6).build();
    try (LoadedModel m = LoadedModel.open(Fixtures.model(), "cpu", new BackendConfig(2, 0), c)) {
      Engine e = m.engine();
      int[] prompt = IntStream.range(0, 30).map(i -> 17 + i).toArray();
      List<FinishReason> reasons = new ArrayList<>();
      e.submit(new GenerateRequest("cut", prompt, null, params()), new GenerationListener() {
        @Override
        public void onToken(String requestId, TokenOutput token) {}

        @Override
        public void onFinish(GenerationResult result) {
          reasons.add(result.finishReason());
        }
      });
      e.step();
      assertEquals(6, e.stats().promptTokens(), "one chunk ran");
      assertEquals(1, e.stats().kvBlocksCached(), "the full block is cached, the half one is not (yet)");
      e.cancel("cut");
      e.runUntilIdle();
      assertEquals(List.of(FinishReason.CANCELLED), reasons);
      EngineStats st = e.stats();
      assertEquals(1, st.kvBlocksCached(), "only the full block stays cached: " + st);
      assertEquals(1, st.kvBlocksEvictable());
      assertEquals(0, st.kvBlocksUsed());

      // The same prompt again: the full block is reused, the rest recomputed, the result exact.
      GenerationResult r = EngineParityTest.runAll(e, List.of(new GenerateRequest("again", prompt, null, params())))
          .get("again");
      assertEquals(4, e.stats().prefixHitBase());
      assertEquals(6 + 26, e.stats().promptTokens());
      assertSameResults(run(uncached, List.of(List.of(new Job(prompt, null)))), List.of(r));
    }
  }
}
