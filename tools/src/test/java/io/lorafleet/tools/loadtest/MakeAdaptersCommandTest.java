package io.lorafleet.tools.loadtest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.Fixtures;
import io.lorafleet.runtime.cli.LoraFleetCli;
import io.lorafleet.runtime.format.LlamaConfig;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.runtime.model.LoraModule;
import io.lorafleet.runtime.model.LoraTarget;
import io.lorafleet.tools.synthetic.RandomAdapterWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lorafleet make-adapters}: the copies load against the fixture model with the template's shapes. */
class MakeAdaptersCommandTest {
  @TempDir
  Path work;

  @Test
  void writesAdaptersThatLoadWithTheTemplatesShapesAndFreshValues() throws IOException {
    for (String template : List.of("adapter-qv-r8", "adapter-all-r16")) {
      Path like = Fixtures.adapter(template);
      Path out = work.resolve(template);
      assertEquals(0, LoraFleetCli.execute("make-adapters", "--like", like.toString(), "--count", "12", "--out",
          out.toString(), "--seed", "7"));
      try (var s = Files.list(out)) {
        assertEquals(12, s.count());
      }
      LlamaConfig base = LlamaConfig.load(Fixtures.model());
      LoraAdapter reference = LoraAdapter.load(template, like, base, 64);
      LoraAdapter first = LoraAdapter.load("adapter-0000", out.resolve("adapter-0000"), base, 64);
      LoraAdapter last = LoraAdapter.load("adapter-0011", out.resolve("adapter-0011"), base, 64);
      for (LoraAdapter copy : List.of(first, last)) {
        assertEquals(reference.bytes(), copy.bytes());
        assertEquals(reference.maxRank(), copy.maxRank());
        assertEquals(reference.numLayers(), copy.numLayers());
        for (int layer = 0; layer < reference.numLayers(); layer++) {
          Map<LoraTarget, LoraModule> want = reference.layer(layer);
          Map<LoraTarget, LoraModule> got = copy.layer(layer);
          assertEquals(want.keySet(), got.keySet(), "layer " + layer);
          for (LoraTarget t : want.keySet()) {
            assertEquals(want.get(t).rank(), got.get(t).rank());
            assertEquals(want.get(t).a().length, got.get(t).a().length);
            assertEquals(want.get(t).b().length, got.get(t).b().length);
            assertEquals(want.get(t).scaling(), got.get(t).scaling());
            assertFalse(Arrays.equals(want.get(t).a(), got.get(t).a()), "random, not the template's");
          }
        }
      }
      LoraTarget any = first.layer(0).keySet().iterator().next();
      assertFalse(Arrays.equals(first.layer(0).get(any).b(), last.layer(0).get(any).b()),
          "each copy has its own values");
      assertTrue(rms(first.layer(0).get(any).a()) > 0);
    }
  }

  @Test
  void sameSeedSameBytesAndCopiesDoNotDependOnTheCount() throws IOException {
    Path like = Fixtures.adapter("adapter-qv-r8");
    assertEquals(0, LoraFleetCli.execute("make-adapters", "--like", like.toString(), "--count", "3", "--out",
        work.resolve("a").toString(), "--seed", "5"));
    assertEquals(0, LoraFleetCli.execute("make-adapters", "--like", like.toString(), "--count", "2", "--out",
        work.resolve("b").toString(), "--seed", "5"));
    assertEquals(0, LoraFleetCli.execute("make-adapters", "--like", like.toString(), "--count", "2", "--out",
        work.resolve("c").toString(), "--seed", "6"));
    Path weights = Path.of("adapter-0001", LoraAdapter.WEIGHTS_FILE);
    assertArrayEquals(Files.readAllBytes(work.resolve("a").resolve(weights)),
        Files.readAllBytes(work.resolve("b").resolve(weights)));
    assertNotEquals(-1, Files.mismatch(work.resolve("a").resolve(weights), work.resolve("c").resolve(weights)));
    assertArrayEquals(Files.readAllBytes(like.resolve("adapter_config.json")),
        Files.readAllBytes(work.resolve("a").resolve("adapter-0002").resolve("adapter_config.json")));
  }

  @Test
  void namesSortInIndexOrder() {
    assertEquals("adapter-0007", RandomAdapterWriter.name("adapter-", 7, 1000));
    assertEquals("x-00042", RandomAdapterWriter.name("x-", 42, 20000));
  }

  @Test
  void refusesAMissingTemplate() {
    assertEquals(LoraFleetCli.EXIT_BAD_INPUT, LoraFleetCli.execute("make-adapters", "--like",
        work.resolve("nope").toString(), "--count", "1", "--out", work.resolve("o").toString()));
  }

  private static double rms(float[] v) {
    double s = 0;
    for (float x : v) {
      s += x * x;
    }
    return Math.sqrt(s / v.length);
  }
}
