package io.lorafleet.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.backend.ForwardBatch;
import io.lorafleet.runtime.backend.ForwardBatch.AdapterSegment;
import io.lorafleet.runtime.backend.ForwardBatch.SequenceRows;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Decode steps as captured CUDA graphs: the same sequences run on a backend that replays a graph per bucket
 * and on one that queues every kernel, and every logit of every step is the same bit for bit; the batch
 * mixes adapters of ranks 8 and 16 with the base model in one launch and is padded from 3 rows to its
 * bucket of 4. The emulator replays a graph with the arguments recorded at its capture and checks every
 * pointer again, so a step input that moved after the capture fails there. Subclasses choose the device.
 */
abstract class DecodeGraphContract {
  /** A device (or the test is skipped). */
  abstract Gpu openGpu();

  private static final int BLOCK = 16;

  /** Prefill of three prompts, then {@code steps} greedy decode steps; the logits of every decode step. */
  private static List<float[]> run(CudaBackend b, Map<String, Integer> idx, int steps) {
    String[] adapters = {"adapter-qv-r8", null, "adapter-all-r16"};
    int[] prompts = {0, 1, 5};
    List<int[]> ids = new ArrayList<>();
    for (int p : prompts) {
      ids.add(Fixtures.promptIds(p));
    }
    int[][] tables = {IntStream.range(0, 8).toArray(), IntStream.range(8, 16).toArray(),
        IntStream.range(16, 24).toArray()};
    // Rows grouped by adapter index, as the engine lays them out: base, then qv-r8, then all-r16.
    int[] order = {1, 0, 2};
    int[] index = new int[3];
    for (int i = 0; i < 3; i++) {
      index[i] = adapters[i] == null ? -1 : idx.get(adapters[i]);
    }
    int[] last = new int[3];
    int[] pos = new int[3];
    List<float[]> out = new ArrayList<>();
    for (int step = 0; step <= steps; step++) {
      List<Integer> tokens = new ArrayList<>();
      List<Integer> positions = new ArrayList<>();
      List<SequenceRows> seqs = new ArrayList<>();
      List<AdapterSegment> segs = new ArrayList<>();
      int[] logitRows = new int[3];
      int row = 0;
      for (int k = 0; k < 3; k++) {
        int i = order[k];
        int start = row;
        if (step == 0) {
          for (int j = 0; j < ids.get(i).length; j++) {
            tokens.add(ids.get(i)[j]);
            positions.add(j);
          }
          pos[i] = ids.get(i).length;
        } else {
          tokens.add(last[i]);
          positions.add(pos[i]++);
        }
        row = tokens.size();
        seqs.add(new SequenceRows(start, row - start, tables[i], index[i]));
        segs.add(new AdapterSegment(index[i], start, row));
        logitRows[k] = row - 1;
      }
      ForwardBatch fb = new ForwardBatch(tokens.stream().mapToInt(Integer::intValue).toArray(),
          positions.stream().mapToInt(Integer::intValue).toArray(), seqs, segs, logitRows);
      float[] logits = b.forward(fb).values();
      int vocab = b.config().vocabSize();
      for (int k = 0; k < 3; k++) {
        int best = 0;
        for (int t = 1; t < vocab; t++) {
          if (logits[k * vocab + t] > logits[k * vocab + best]) {
            best = t;
          }
        }
        last[order[k]] = best;
      }
      if (step > 0) {
        out.add(logits);
      }
    }
    return out;
  }

  @Test
  void replayedGraphsComputeWhatTheEagerStepComputes() {
    Gpu graphGpu = openGpu();
    try (LlamaModel model = CudaFixtures.model();
        CudaBackend graphs = new CudaBackend(model, graphGpu, CudaConfig.DEFAULTS.withAdapterPoolBytes(32L << 20));
        CudaBackend eager = new CudaBackend(model, openGpu(),
            CudaConfig.DEFAULTS.withAdapterPoolBytes(32L << 20).withGraphs(false))) {
      Map<String, LoraAdapter> all = CudaFixtures.adapters(model);
      Map<String, Integer> gi = new java.util.HashMap<>();
      Map<String, Integer> ei = new java.util.HashMap<>();
      for (CudaBackend b : List.of(graphs, eager)) {
        b.allocateKvCache(32, BLOCK);
        for (String a : List.of("adapter-qv-r8", "adapter-all-r16")) {
          (b == graphs ? gi : ei).put(a, b.uploadAdapter(all.get(a)));
        }
      }
      int steps = 3;
      List<float[]> g = run(graphs, gi, steps);
      List<float[]> e = run(eager, ei, steps);
      assertEquals(1, graphs.capturedGraphs(), "one graph: bucket 4, LoRA on every group");
      assertEquals(0, eager.capturedGraphs());
      if (graphGpu instanceof EmulatedGpu emulated) {
        assertEquals(steps, emulated.graphLaunches(), "every decode step replayed the graph");
      }
      for (int s = 0; s < steps; s++) {
        assertArrayEquals(e.get(s), g.get(s), "decode step " + s + ": graph replay vs eager");
      }
      System.out.printf("[" + graphs.name() + "] %d decode steps of 3 rows (bucket 4, ranks 8 and 16 and the base): replayed logits"
          + " equal the eager step's bit for bit%n", steps);
    }
  }
}
