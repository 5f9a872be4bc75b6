package io.lorafleet.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.backend.ForwardBatch;
import io.lorafleet.runtime.backend.ForwardBatch.AdapterSegment;
import io.lorafleet.runtime.backend.ForwardBatch.SequenceRows;
import io.lorafleet.runtime.backend.Logits;
import io.lorafleet.runtime.backend.DeviceFullException;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.opentest4j.TestAbortedException;

/**
 * {@link CudaBackend} against the fixtures' reference.json, driven directly with {@link ForwardBatch}es as
 * the engine would: prefill, then greedy decode through the paged KV cache; mixed batches of sequences
 * with different adapters (and none); the page pool's books. Subclasses choose the device.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class BackendContract {
  static final int BLOCK = 16;
  static final int KV_BLOCKS = 512;
  /** Logit tolerance against the float64 reference (bf16 weights, float32 activations). */
  static final double LOGIT_TOLERANCE = 2e-2;

  protected LlamaModel model;
  protected CudaBackend backend;
  protected final Map<String, LoraAdapter> adapters = new HashMap<>();
  protected final Map<String, Integer> indexes = new HashMap<>();

  abstract Gpu openGpu();

  /** Which reference generations the parity check runs (all of them on a GPU). */
  abstract boolean checks(JsonNode generation);

  /** Which mixed batches to run. */
  abstract boolean checksBatch(JsonNode batch);

  CudaConfig options() {
    return CudaConfig.DEFAULTS.withAdapterPoolBytes(64L << 20).withDecodeChunk(64);
  }

  private String skipReason;

  @BeforeAll
  void load() {
    Gpu gpu;
    try {
      gpu = openGpu();
    } catch (TestAbortedException e) {
      skipReason = e.getMessage().replaceFirst("^Assumption failed: ", "");
      return;
    }
    model = CudaFixtures.model();
    backend = new CudaBackend(model, gpu, options());
    backend.allocateKvCache(KV_BLOCKS, BLOCK);
    adapters.putAll(CudaFixtures.adapters(model));
    for (var e : adapters.entrySet()) {
      indexes.put(e.getKey(), backend.uploadAdapter(e.getValue()));
    }
  }

  @BeforeEach
  void requireDevice() {
    assumeTrue(skipReason == null, skipReason);
  }

  @AfterAll
  void close() {
    if (backend != null) {
      backend.close();
    }
    if (model != null) {
      model.close();
    }
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

  private Logits run(int[] tokens, int startPos, int adapterIndex, int[] table) {
    int n = tokens.length;
    int[] pos = IntStream.range(startPos, startPos + n).toArray();
    return backend.forward(new ForwardBatch(tokens, pos, List.of(new SequenceRows(0, n, table, adapterIndex)),
        List.of(new AdapterSegment(adapterIndex, 0, n)), new int[] {n - 1}));
  }

  @Test
  @Order(1)
  void greedyContinuationsAndFirstStepLogitsMatchTheReference() {
    int checked = 0;
    double worst = 0;
    int[] table = IntStream.range(0, KV_BLOCKS).toArray();
    for (JsonNode g : Fixtures.reference().get("generations")) {
      if (!checks(g)) {
        continue;
      }
      int prompt = g.get("prompt").asInt();
      String adapter = CudaFixtures.adapterOf(g);
      int index = adapter == null ? -1 : indexes.get(adapter);
      int[] ids = Fixtures.promptIds(prompt);
      int[] expected = Fixtures.ints(g.get("token_ids"));
      float[] row = run(ids, 0, index, table).row(0);
      if (g.has("first_step_logits")) {
        JsonNode ref = g.get("first_step_logits");
        double diff = 0;
        for (int i = 0; i < ref.size(); i++) {
          diff = Math.max(diff, Math.abs(ref.get(i).asDouble() - row[i]));
        }
        worst = Math.max(worst, diff);
        assertTrue(diff < LOGIT_TOLERANCE, "first-step logits differ by " + diff + " for prompt " + prompt + " "
            + adapter);
      }
      int[] got = new int[expected.length];
      int pos = ids.length;
      for (int t = 0; t < expected.length; t++) {
        got[t] = argmax(row);
        row = run(new int[] {got[t]}, pos++, index, table).row(0);
      }
      assertArrayEquals(expected, got, "prompt " + prompt + " adapter " + adapter);
      checked++;
    }
    assertTrue(checked > 0, "no generation checked");
    System.out.printf("[%s] %d greedy continuations exact; first-step logits within %.2e of the reference%n",
        backend.name(), checked, worst);
  }

  /** One request of a mixed batch. */
  private record Request(int prompt, String adapter, int adapterIndex, int[] promptIds, int[] expected, int[] table) {}

  @Test
  @Order(2)
  void mixedBatchesGiveEachRequestItsSingleResult() {
    int batches = 0;
    for (JsonNode batch : Fixtures.reference().get("mixed_batches")) {
      if (!checksBatch(batch)) {
        continue;
      }
      List<Request> requests = new ArrayList<>();
      int nextBlock = 0;
      for (JsonNode r : batch.get("requests")) {
        String adapter = CudaFixtures.adapterOf(r);
        int[] ids = Fixtures.promptIds(r.get("prompt").asInt());
        int[] expected = Fixtures.ints(r.get("expected_token_ids"));
        int blocks = (ids.length + expected.length + BLOCK - 1) / BLOCK;
        int[] table = IntStream.range(nextBlock, nextBlock + blocks).toArray();
        nextBlock += blocks;
        requests.add(new Request(r.get("prompt").asInt(), adapter, adapter == null ? -1 : indexes.get(adapter), ids,
            expected, table));
      }
      assertTrue(nextBlock <= KV_BLOCKS);
      // Rows grouped by adapter (stable), as the engine's ModelRunner lays them out.
      List<Request> order = new ArrayList<>(requests);
      order.sort(Comparator.comparingInt(Request::adapterIndex));
      int steps = requests.get(0).expected().length;
      Map<Request, int[]> got = new HashMap<>();
      for (Request r : order) {
        got.put(r, new int[steps]);
      }
      long prefillNanos = 0;
      long decodeNanos = 0;
      int prefillRows = 0;
      for (int step = 0; step < steps; step++) {
        long t0 = System.nanoTime();
        List<Integer> tokens = new ArrayList<>();
        List<Integer> positions = new ArrayList<>();
        List<SequenceRows> seqs = new ArrayList<>();
        List<AdapterSegment> segments = new ArrayList<>();
        int[] logitRows = new int[order.size()];
        int row = 0;
        for (int i = 0; i < order.size(); i++) {
          Request r = order.get(i);
          int start = row;
          if (step == 0) {
            for (int j = 0; j < r.promptIds().length; j++) {
              tokens.add(r.promptIds()[j]);
              positions.add(j);
            }
          } else {
            tokens.add(got.get(r)[step - 1]);
            positions.add(r.promptIds().length + step - 1);
          }
          row = tokens.size();
          seqs.add(new SequenceRows(start, row - start, r.table(), r.adapterIndex()));
          if (!segments.isEmpty() && segments.getLast().adapterIndex() == r.adapterIndex()) {
            AdapterSegment last = segments.removeLast();
            segments.add(new AdapterSegment(r.adapterIndex(), last.rowStart(), row));
          } else {
            segments.add(new AdapterSegment(r.adapterIndex(), start, row));
          }
          logitRows[i] = row - 1;
        }
        ForwardBatch b = new ForwardBatch(tokens.stream().mapToInt(Integer::intValue).toArray(),
            positions.stream().mapToInt(Integer::intValue).toArray(), seqs, segments, logitRows);
        if (step % 2 == 0) {
          Logits l = backend.forward(b);
          for (int i = 0; i < order.size(); i++) {
            got.get(order.get(i))[step] = argmax(l.row(i));
          }
        } else {
          int[] chosen = backend.forwardGreedy(b);
          for (int i = 0; i < order.size(); i++) {
            got.get(order.get(i))[step] = chosen[i];
          }
        }
        if (step == 0) {
          prefillNanos = System.nanoTime() - t0;
          prefillRows = b.numRows();
        } else {
          decodeNanos += System.nanoTime() - t0;
        }
      }
      System.out.printf("[%s] %s: %d requests, prefill of %d rows in %.1f ms, decode %.2f ms per step%n",
          backend.name(), batch.get("name").asText(), requests.size(), prefillRows, prefillNanos / 1e6,
          decodeNanos / 1e6 / (steps - 1));
      for (Request r : requests) {
        assertArrayEquals(r.expected(), got.get(r), batch.get("name").asText() + ": prompt " + r.prompt() + " adapter "
            + r.adapter());
      }
      batches++;
    }
    assertTrue(batches > 0, "no mixed batch checked");
  }

  @Test
  @Order(3)
  void everyAdapterPageComesBackWhenFreed() {
    PageAllocator pages = backend.pool().pages();
    assertEquals(KV_BLOCKS, pages.usedPages(PageAllocator.Use.KV));
    assertTrue(pages.usedPages(PageAllocator.Use.ADAPTER) > 0);
    for (int index : indexes.values()) {
      backend.freeAdapter(index);
    }
    indexes.clear();
    assertEquals(0, pages.usedPages(PageAllocator.Use.ADAPTER));
    assertEquals(pages.pages() - KV_BLOCKS, pages.freePages());
  }

  @Test
  @Order(4)
  void adaptersAndKvShareOnePoolOfPages() {
    LoraAdapter big = adapters.get("adapter-all-r16");
    LoraAdapter small = adapters.get("adapter-qv-r8");
    LoraAdapter other = adapters.get("adapter-all-r4");
    long pageBytes = DevicePool.pageBytesFor(backend.kvBytesPerBlock(BLOCK), 0);
    int bigPages = AdapterLayout.pagesFor(big, model.config().numLayers(), pageBytes);
    int smallPages = AdapterLayout.pagesFor(small, model.config().numLayers(), pageBytes);
    int otherPages = AdapterLayout.pagesFor(other, model.config().numLayers(), pageBytes);
    assertTrue(otherPages <= bigPages, "the third adapter must fit where the first was");
    assertTrue(otherPages > 0 && smallPages < bigPages, "a rank-8 q/v adapter takes fewer pages than rank 16 on all");
    CudaConfig tight = options().withAdapterPoolBytes((long) (bigPages + smallPages) * pageBytes);
    try (CudaBackend b = new CudaBackend(model, openGpu(), tight)) {
      b.allocateKvCache(8, BLOCK);
      PageAllocator pages = b.pool().pages();
      assertEquals(pageBytes, b.pool().pageBytes());
      assertEquals(8 + bigPages + smallPages, pages.pages());
      int s1 = b.uploadAdapter(big);
      int s2 = b.uploadAdapter(small);
      assertEquals(1, b.adapterCapacity(), "the adapter pages hold one adapter of the largest size seen");
      assertEquals(bigPages + smallPages, pages.usedPages(PageAllocator.Use.ADAPTER));
      assertThrows(DeviceFullException.class, () -> b.uploadAdapter(other), "no room: the engine frees one first");
      // Both adapters on the device work in one step.
      int[] ids = Fixtures.promptIds(0);
      int n = ids.length;
      ForwardBatch fb = new ForwardBatch(concat(ids, ids), concat(IntStream.range(0, n).toArray(),
          IntStream.range(0, n).toArray()), List.of(new SequenceRows(0, n, new int[] {0}, s1),
          new SequenceRows(n, n, new int[] {1}, s2)),
          List.of(new AdapterSegment(s1, 0, n), new AdapterSegment(s2, n, 2 * n)), new int[] {n - 1, 2 * n - 1});
      Logits l = b.forward(fb);
      assertEquals(Fixtures.ints(generation(0, "adapter-all-r16").get("token_ids"))[0], argmax(l.row(0)));
      assertEquals(Fixtures.ints(generation(0, "adapter-qv-r8").get("token_ids"))[0], argmax(l.row(1)));
      // Freeing gives the pages back; the third adapter now fits, at the freed index.
      b.freeAdapter(s1);
      int s3 = b.uploadAdapter(other);
      assertEquals(s1, s3);
      b.freeAdapter(s2);
      b.freeAdapter(s3);
      assertEquals(0, pages.usedPages(PageAllocator.Use.ADAPTER));
      assertThrows(IllegalArgumentException.class, () -> b.freeAdapter(s3), "freed twice");
      assertEquals(8, pages.usedPages(PageAllocator.Use.KV));
    }
  }

  static JsonNode generation(int prompt, String adapter) {
    for (JsonNode g : Fixtures.reference().get("generations")) {
      String a = CudaFixtures.adapterOf(g);
      if (g.get("prompt").asInt() == prompt && (adapter == null ? a == null : adapter.equals(a))) {
        return g;
      }
    }
    throw new IllegalArgumentException("no generation " + prompt + " " + adapter);
  }

  static int[] concat(int[] a, int[] b) {
    int[] out = new int[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
