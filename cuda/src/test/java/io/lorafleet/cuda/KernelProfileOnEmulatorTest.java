package io.lorafleet.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.backend.ForwardBatch;
import io.lorafleet.runtime.backend.ForwardBatch.AdapterSegment;
import io.lorafleet.runtime.backend.ForwardBatch.SequenceRows;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The measurement hooks of the CUDA backend on the CPU emulator: the per-kernel profile (every launch,
 * product and copy of a step timed under its name, nothing timed once it is off, results unchanged) and
 * the device-to-device copy that the bandwidth probe times.
 */
@Tag("emulator")
class KernelProfileOnEmulatorTest {
  private static final int BLOCK = 16;

  private static ForwardBatch batch(int[] tokens, int start, int adapterIndex) {
    int n = tokens.length;
    int[] pos = IntStream.range(start, start + n).toArray();
    return new ForwardBatch(tokens, pos, List.of(new SequenceRows(0, n, new int[] {0, 1}, adapterIndex)),
        List.of(new AdapterSegment(adapterIndex, 0, n)), new int[] {n - 1});
  }

  @Test
  void profileTimesEveryOperationOfAStepUnderItsName() {
    Gpu gpu = Devices.emulator();
    try (LlamaModel model = CudaFixtures.model();
        CudaBackend backend = new CudaBackend(model, gpu,
            CudaConfig.DEFAULTS.withAdapterPoolBytes(16L << 20).withDecodeChunk(64))) {
      backend.allocateKvCache(8, BLOCK);
      Map<String, LoraAdapter> adapters = CudaFixtures.adapters(model);
      int index = backend.uploadAdapter(adapters.get("adapter-all-r16"));
      int[] prompt = {1000, 5, 17, 300};
      float[] plainPrefill = backend.forward(batch(prompt, 0, index)).values();

      CudaDiagnostics.Profile profile = CudaDiagnostics.of(backend).orElseThrow().startProfile();
      float[] profiledPrefill = backend.forward(batch(prompt, 0, index)).values();
      assertArrayEquals(plainPrefill, profiledPrefill, "profiling changes no result");
      profile.reset();
      int[] next = backend.forwardGreedy(batch(new int[] {42}, prompt.length, index));
      assertEquals(1, next.length);
      backend.forward(batch(new int[] {next[0]}, prompt.length + 1, index));

      CudaDiagnostics.ProfileSummary s = profile.summary();
      assertEquals(2, s.steps());
      Map<String, CudaDiagnostics.ProfileEntry> byName = s.entries().stream()
          .collect(Collectors.toMap(CudaDiagnostics.ProfileEntry::name, Function.identity()));
      int layers = model.config().numLayers();
      assertEquals(2L * layers * 2, byName.get("gemm[qkv]").calls() + byName.get("gemm[o]").calls());
      assertEquals(2L, byName.get("gemm[lm_head]").calls());
      assertEquals(2L * layers, byName.get("gemm[gate_up]").calls());
      assertEquals(2L * layers, byName.get("gemm[down]").calls());
      assertEquals(2L * (2 * layers + 1), byName.get("residual_rmsnorm").calls());
      assertEquals(2L * layers, byName.get("attention_decode_hd32").calls());
      assertEquals(2L, byName.get("embed_rows").calls());
      assertEquals(1L, byName.get("argmax_rows").calls(), "forwardGreedy's argmax is timed too");
      assertTrue(byName.containsKey("memcpy HtoD") && byName.containsKey("memcpy DtoH"), byName.keySet().toString());
      assertTrue(byName.get("lora_shrink").calls() > 0 && byName.get("lora_expand").calls() > 0);
      assertFalse(byName.containsKey("attention_prefill_hd32"), "the prefill step was reset away");
      for (CudaDiagnostics.ProfileEntry e : s.entries()) {
        assertTrue(e.totalMillis() >= 0, e.toString());
      }
      assertTrue(s.deviceMillis() > 0 && s.wallMillisPerStep() >= s.deviceMillisPerStep() * 0.5);
      assertTrue(s.table().contains("gemm[qkv]"));

      profile.close();
      backend.forward(batch(new int[] {7}, prompt.length + 2, index));
      assertEquals(2, profile.summary().steps(), "nothing is timed once the profile is off");
    }
  }

  @Test
  void copyOnDeviceCopiesAndTheBandwidthProbeMeasuresIt() {
    try (EmulatedGpu gpu = Devices.emulator(); Arena arena = Arena.ofConfined()) {
      long a = gpu.allocate(4096);
      long b = gpu.allocate(4096);
      MemorySegment host = arena.allocate(4096);
      for (int i = 0; i < 1024; i++) {
        host.setAtIndex(ValueLayout.JAVA_INT, i, i * 7);
      }
      gpu.copyToDevice(a, host, gpu.computeStream());
      gpu.copyOnDevice(b, a, 4096, gpu.computeStream());
      MemorySegment back = arena.allocate(4096);
      gpu.copyToHost(back, b, gpu.computeStream());
      assertEquals(-1, host.mismatch(back));
      gpu.free(a);
      gpu.free(b);
      long before = gpu.allocatedBytes();

      CudaDiagnostics.CopyBandwidth bw = DeviceCopyBandwidth.measure(gpu, gpu.computeStream(), 8L << 20, 2, 3);
      assertEquals(3, bw.gbPerSecondReps().size());
      assertTrue(bw.bestGbPerSecond() > 0 && Double.isFinite(bw.bestGbPerSecond()), bw.toString());
      assertEquals(before, gpu.allocatedBytes(), "the probe frees its buffers");
    }
  }
}
