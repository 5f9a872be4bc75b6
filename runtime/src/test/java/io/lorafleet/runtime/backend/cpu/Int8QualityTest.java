package io.lorafleet.runtime.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.backend.BackendAgreement;
import io.lorafleet.runtime.backend.NativeGemm;
import io.lorafleet.runtime.model.LlamaModel;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.model.Quantization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code --quantize int8} on the fixtures against the bf16 model, for the base model and every fixture
 * adapter over every fixture prompt: teacher-forced top-1 agreement, identical greedy continuations, and
 * the max / mean logit error against the spread of the bf16 logits. The bounds are loose enough for any
 * sane per-channel int8 quantization and tight enough to catch a broken kernel (a lost scale, a wrong
 * sign, a panel off by one would put the error at the size of the logits themselves). Prints the figures
 * the README quotes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Int8QualityTest {
  private static final int BLOCK = 16;
  private LlamaModel model;
  private CpuBackend bf16;
  private CpuBackend int8;
  private final Map<String, int[]> indexes = new LinkedHashMap<>();

  @BeforeAll
  void load() {
    model = LlamaModel.load(Fixtures.model());
    bf16 = new CpuBackend(model, 2);
    int8 = new CpuBackend(model, 2, Quantization.INT8);
    bf16.allocateKvCache(64, BLOCK);
    int8.allocateKvCache(64, BLOCK);
    for (String name : Fixtures.adapterNames()) {
      LoraAdapter a = LoraAdapter.load(name, Fixtures.adapter(name), model.config(), 0);
      indexes.put(name, new int[] {bf16.uploadAdapter(a), int8.uploadAdapter(a)});
    }
  }

  @AfterAll
  void close() {
    bf16.close();
    int8.close();
    model.close();
  }

  @Test
  void theInt8BackendSaysWhatItIsAndTakesAboutHalfTheBytes() {
    assertSame(Quantization.INT8, int8.quantization());
    assertSame(Quantization.NONE, bf16.quantization());
    assertTrue(int8.name().contains("int8 weights"), int8.name());
    double ratio = (double) model.weights().bytesReadPerStep(Quantization.INT8) / model.weights().bytesReadPerStep();
    assertTrue(ratio > 0.5 && ratio < 0.53, "int8 / bf16 bytes per step " + ratio);
    double packed = (double) int8.projectionBytes() / bf16.projectionBytes();
    assertTrue(packed > 0.5 && packed < 0.53, "int8 / bf16 packed bytes " + packed);
  }

  @Test
  void nativeGemmOnDoesNotApplyToInt8Weights() {
    // oneDNN multiplies only bf16 panels: with int8 weights the setting is logged as not applying, the int8
    // panels are packed as without it and no product goes to oneDNN (whether or not libdnnl2 is installed).
    try (CpuBackend forced = new CpuBackend(model, 2, Quantization.INT8, NativeGemm.ON)) {
      assertSame(Quantization.INT8, forced.quantization());
      assertEquals("vector-api GEMM", forced.gemmPath());
      assertTrue(!forced.usesNativeGemm(1024), forced.name());
      assertEquals(int8.projectionBytes(), forced.projectionBytes());
      assertTrue(forced.name().contains("int8 weights"), forced.name());
    }
  }

  @Test
  void int8StaysCloseToBf16OnEveryPromptWithAndWithoutEveryAdapter() {
    List<int[]> prompts = new ArrayList<>();
    for (int p = 0; p < Fixtures.numPrompts(); p++) {
      prompts.add(Fixtures.promptIds(p));
    }
    int tokens = 16;
    BackendAgreement.Result all = BackendAgreement.Result.EMPTY;
    List<String> lines = new ArrayList<>();
    Map<String, int[]> runs = new LinkedHashMap<>();
    runs.put("base", new int[] {-1, -1});
    runs.putAll(indexes);
    for (var e : runs.entrySet()) {
      BackendAgreement.Result r = BackendAgreement.compare(bf16, e.getValue()[0], int8, e.getValue()[1], prompts,
          tokens, BLOCK);
      lines.add(e.getKey() + ": " + r);
      // Per run: the logit error is a small fraction of the logits' spread.
      assertTrue(r.meanAbsError() < 0.05 * r.meanRowStd(), e.getKey() + ": " + r);
      assertTrue(r.maxAbsError() < 0.25 * r.meanRowRange(), e.getKey() + ": " + r);
      all = all.plus(r);
    }
    lines.add("all: " + all);
    System.out.println("int8 vs bf16 on the fixtures (" + prompts.size() + " prompts x " + tokens
        + " tokens, teacher-forced on the bf16 greedy continuation):\n  " + String.join("\n  ", lines));
    assertEquals(9 * prompts.size(), all.sequences());
    assertTrue(all.top1Agreement() >= 0.9, all.toString());
    assertTrue(all.meanAbsError() < 0.04 * all.meanRowStd(), all.toString());
  }

  @Test
  void theBf16PathIsUntouched() {
    // The bf16 backend's first-step logits still match reference.json as CpuBackendParityTest checks them.
    JsonNode g = Fixtures.generation(0, null);
    int[] ids = Fixtures.promptIds(0);
    float[] row = bf16.forward(new io.lorafleet.runtime.backend.ForwardBatch(ids, java.util.stream.IntStream.range(0,
        ids.length).toArray(), List.of(new io.lorafleet.runtime.backend.ForwardBatch.SequenceRows(0, ids.length,
        new int[] {0}, -1)), List.of(new io.lorafleet.runtime.backend.ForwardBatch.AdapterSegment(-1, 0, ids.length)),
        new int[] {ids.length - 1})).row(0);
    assertEquals(Fixtures.ints(g.get("token_ids"))[0], BackendAgreement.argmax(row));
  }
}
