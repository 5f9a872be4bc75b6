package io.lorafleet.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.backend.ForwardBatch;
import io.lorafleet.runtime.backend.ForwardBatch.AdapterSegment;
import io.lorafleet.runtime.backend.ForwardBatch.SequenceRows;
import io.lorafleet.runtime.backend.RowSampling;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What a steady-state decode step asks of the driver, counted on the recording device: after the step that
 * captures its bucket's graph, one input copy, one graph launch, one copy of (token, logprob) pairs back and
 * one synchronization, at batch 1 and at batch 64 with a distinct adapter per row; no kernel is launched one
 * by one. The host time of such steps is what {@code lorafleet gpu-bench host-overhead} measures.
 */
class DecodeDriverCallsTest {
  @ParameterizedTest
  @CsvSource({"1, false", "1, true", "64, false", "64, true", "40, true"})
  void aSteadyDecodeStepIsFourDriverCalls(int batch, boolean adapters) {
    RecordingGpu gpu = new RecordingGpu("recording", 4L << 30, 132);
    try (LlamaModel model = CudaFixtures.model(); CudaBackend b = new CudaBackend(model, gpu, CudaConfig.DEFAULTS)) {
      b.reserveStepMemory(512, 64);
      b.allocateKvCache(64 * 8, 16);
      LoraAdapter adapter = CudaFixtures.adapters(model).get("adapter-all-r16");
      int[] index = new int[batch];
      for (int i = 0; i < batch; i++) {
        index[i] = adapters ? b.uploadAdapter(adapter) : -1;
      }
      RowSampling[] greedy = new RowSampling[batch];
      Arrays.fill(greedy, RowSampling.GREEDY);
      long calls = 0;
      for (int step = 0; step < 4; step++) {
        int[] tokens = new int[batch];
        int[] positions = new int[batch];
        List<SequenceRows> seqs = new ArrayList<>();
        List<AdapterSegment> segs = new ArrayList<>();
        for (int r = 0; r < batch; r++) {
          tokens[r] = 5 + r;
          positions[r] = 20 + step;
          seqs.add(new SequenceRows(r, 1, new int[] {8 * r, 8 * r + 1}, index[r]));
          segs.add(new AdapterSegment(index[r], r, r + 1));
        }
        long c0 = gpu.driverCalls();
        long k0 = gpu.kernelLaunches();
        long g0 = gpu.graphLaunches();
        int[] rows = java.util.stream.IntStream.range(0, batch).toArray();
        b.forwardSampled(new ForwardBatch(tokens, positions, seqs, segs, rows), greedy);
        if (step >= 2) {
          calls = gpu.driverCalls() - c0;
          assertEquals(0, gpu.kernelLaunches() - k0, "no kernel launched one by one");
          assertEquals(1, gpu.graphLaunches() - g0, "one graph launch");
        }
      }
      assertEquals(4, calls, "copy in, graph launch, copy out, synchronize");
      assertTrue(calls <= 10);
      assertEquals(1, b.capturedGraphs());
    }
  }
}
