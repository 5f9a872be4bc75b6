package io.lorafleet.runtime.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.backend.ForwardBatch;
import io.lorafleet.runtime.backend.ForwardBatch.AdapterSegment;
import io.lorafleet.runtime.backend.ForwardBatch.SequenceRows;
import io.lorafleet.runtime.backend.Logits;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The backend alone against reference.json: full-prompt prefill then greedy decode through the KV cache,
 * for every prompt and adapter; and the same decode with the whole prompt recomputed at every step.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CpuBackendParityTest {
  private static final int BLOCK = 16;
  private LlamaModel model;
  private CpuBackend backend;
  private final Map<String, Integer> indexes = new HashMap<>();

  @BeforeAll
  void load() {
    model = LlamaModel.load(Fixtures.model());
    backend = create(model);
    backend.allocateKvCache(64, BLOCK);
    for (String name : Fixtures.adapterNames()) {
      indexes.put(name, backend.uploadAdapter(LoraAdapter.load(name, Fixtures.adapter(name), model.config(), 0)));
    }
  }

  /** Largest first-step logit difference from the reference seen so far. */
  double maxLogitDiff;

  /** How far first-step logits may be from the reference (f32 transformers). */
  double firstStepLogitTolerance() {
    return 2e-3;
  }

  /** Two computations of the same logits: bit for bit. */
  void assertSameLogits(float[] expected, float[] actual, String what) {
    assertArrayEquals(expected, actual, what);
  }

  /** The backend under test: native GEMM as the {@code lorafleet.engine.cpu.native-gemm} property says. */
  CpuBackend create(LlamaModel m) {
    return new CpuBackend(m, 2);
  }

  @AfterAll
  void close() {
    if (backend != null) {
      backend.close();
    }
    model.close();
  }

  private Logits run(int[] tokens, int startPos, int adapterIndex, boolean allRows) {
    int n = tokens.length;
    int[] pos = new int[n];
    for (int i = 0; i < n; i++) {
      pos[i] = startPos + i;
    }
    int blocks = (startPos + n + BLOCK - 1) / BLOCK;
    int[] table = new int[blocks];
    for (int i = 0; i < blocks; i++) {
      table[i] = i;
    }
    int[] rows = allRows ? java.util.stream.IntStream.range(0, n).toArray() : new int[] {n - 1};
    return backend.forward(new ForwardBatch(tokens, pos, List.of(new SequenceRows(0, n, table, adapterIndex)),
        List.of(new AdapterSegment(adapterIndex, 0, n)), rows));
  }

  static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }

  @Test
  void greedyContinuationsMatchReferenceForEveryPromptAndAdapter() {
    int checked = 0;
    for (JsonNode g : Fixtures.reference().get("generations")) {
      int prompt = g.get("prompt").asInt();
      String adapter = g.get("adapter").isNull() ? null : g.get("adapter").asText();
      int index = adapter == null ? -1 : indexes.get(adapter);
      int[] ids = Fixtures.promptIds(prompt);
      int[] expected = Fixtures.ints(g.get("token_ids"));
      int[] got = new int[expected.length];
      Logits l = run(ids, 0, index, false);
      float[] row = l.row(0);
      if (g.has("first_step_logits")) {
        JsonNode ref = g.get("first_step_logits");
        double maxDiff = 0;
        for (int i = 0; i < ref.size(); i++) {
          maxDiff = Math.max(maxDiff, Math.abs(ref.get(i).asDouble() - row[i]));
        }
        maxLogitDiff = Math.max(maxLogitDiff, maxDiff);
        assertTrue(maxDiff < firstStepLogitTolerance(), "first-step logits differ by " + maxDiff + " for prompt "
            + prompt + " " + adapter);
      }
      int pos = ids.length;
      for (int t = 0; t < expected.length; t++) {
        got[t] = argmax(row);
        row = run(new int[] {got[t]}, pos++, index, false).row(0);
      }
      assertArrayEquals(expected, got, "prompt " + prompt + " adapter " + adapter);
      checked++;
    }
    assertEquals(54, checked);
    System.out.printf("%s: first-step logits within %.4g of the reference%n", getClass().getSimpleName(), maxLogitDiff);
  }

  @Test
  void kvCacheDecodingEqualsFullRecomputationBitForBit() {
    for (String adapter : new String[] {null, "adapter-all-r16"}) {
      int index = adapter == null ? -1 : indexes.get(adapter);
      JsonNode g = Fixtures.generation(1, adapter);
      int[] prompt = Fixtures.promptIds(1);
      int[] cont = Fixtures.ints(g.get("token_ids"));
      int[] all = java.util.Arrays.copyOf(prompt, prompt.length + cont.length);
      System.arraycopy(cont, 0, all, prompt.length, cont.length);
      // Incremental: prefill the prompt, then one token at a time through the cache.
      float[][] incremental = new float[cont.length][];
      incremental[0] = run(prompt, 0, index, false).row(0);
      for (int t = 1; t < cont.length; t++) {
        incremental[t] = run(new int[] {cont[t - 1]}, prompt.length + t - 1, index, false).row(0);
      }
      // Full: the whole prefix recomputed from scratch for every step, logits of every row at once.
      int n = prompt.length + cont.length - 1;
      Logits full = run(java.util.Arrays.copyOf(all, n), 0, index, true);
      for (int t = 0; t < cont.length; t++) {
        assertSameLogits(incremental[t], full.row(prompt.length - 1 + t), "step " + t + " adapter " + adapter);
      }
    }
  }

  @Test
  void aRowsLogitsDoNotDependOnTheRestOfTheBatch() {
    int[] p0 = Fixtures.promptIds(0);
    int[] p2 = Fixtures.promptIds(2);
    int indexA = indexes.get("adapter-qv-r8");
    int indexB = indexes.get("adapter-all-r4");
    float[] alone = run(p0, 0, indexA, false).row(0);
    // The same sequence packed after another sequence with another adapter and a base-only one.
    int n0 = p0.length, n2 = p2.length;
    int[] tokens = new int[n2 + n0 + 1];
    int[] pos = new int[tokens.length];
    System.arraycopy(p2, 0, tokens, 0, n2);
    System.arraycopy(p0, 0, tokens, n2, n0);
    tokens[n2 + n0] = 5;
    for (int i = 0; i < n2; i++) {
      pos[i] = i;
    }
    for (int i = 0; i < n0; i++) {
      pos[n2 + i] = i;
    }
    pos[n2 + n0] = 0;
    int[] t2 = java.util.stream.IntStream.range(10, 10 + (n2 + BLOCK - 1) / BLOCK).toArray();
    int[] t0 = java.util.stream.IntStream.range(30, 30 + (n0 + BLOCK - 1) / BLOCK).toArray();
    Logits l = backend.forward(new ForwardBatch(tokens, pos,
        List.of(new SequenceRows(0, n2, t2, indexB), new SequenceRows(n2, n0, t0, indexA),
            new SequenceRows(n2 + n0, 1, new int[] {40}, -1)),
        List.of(new AdapterSegment(indexB, 0, n2), new AdapterSegment(indexA, n2, n2 + n0),
            new AdapterSegment(-1, n2 + n0, n2 + n0 + 1)),
        new int[] {n2 - 1, n2 + n0 - 1, n2 + n0}));
    assertSameLogits(alone, l.row(1), "prompt 0 alone and in a batch");
  }
}
